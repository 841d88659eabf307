import Crypto
import Foundation
import Glibc
public import HSMSyncModel
import SignedLog

/// The intent journal of `hsmsync reconcile` (SECURITY.md R21, §5): an append-only JSON Lines file
/// in the fleet's state directory, `fsync`ed before the HSM mutations it announces.
///
/// Intents are written per batch — one `fsync` announces up to a batch of copies — and so is their
/// outcome. This is as crash-safe as one `fsync` per key: a copy's only token write is its
/// promotion, and recovery never trusts the journal alone. It looks every pending copy up on its
/// destination by identity and fingerprint (``ReconcileRun``): present and matching →
/// committed; present and different → conflict; absent → rolled back (staged session objects
/// vanish with the process that made them) and planned again.
public final class ReplicationJournal {
    /// One copy announced in the journal.
    ///
    /// Recovery acts on an operation only when the signed log holds its `replicate.intent` entry
    /// with this operation's ``digest``: the journal is a plain file nothing signs, and an edited or
    /// forged line must never make recovery destroy anything.
    public struct Operation: Sendable, Codable, Hashable {
        public let op: String
        public let key: KeyIdentity
        public let publicKey: KeyIdentity?
        public let source: String
        public let destination: String
        public let fingerprint: Fingerprint
        /// Journals written before 0.9 only: the count of identity-less objects on the destination.
        /// Read and ignored: recovery no longer removes objects for having no identity.
        public let anonymousObjectsBefore: Int?
        /// Objects on the destination whose attributes could not be read at all when the copy was
        /// planned. When it was 0, an unreadable object with no identity found after a crash is the
        /// torn write of an interrupted promotion (a complete object, anyone's, is never removed).
        public let incompleteObjectsBefore: Int?
        /// The policy the copy is made with (the source's), so that recovery destroys a torn copy only
        /// when it is exactly what this operation staged.
        public let keyPolicy: StagedPolicy?
        public let publicKeyPolicy: StagedPolicy?

        public init(
            op: String, key: KeyIdentity, publicKey: KeyIdentity?, source: String, destination: String,
            fingerprint: Fingerprint, incompleteObjectsBefore: Int?, keyPolicy: StagedPolicy?,
            publicKeyPolicy: StagedPolicy?
        ) {
            self.op = op
            self.key = key
            self.publicKey = publicKey
            self.source = source
            self.destination = destination
            self.fingerprint = fingerprint
            self.anonymousObjectsBefore = nil
            self.incompleteObjectsBefore = incompleteObjectsBefore
            self.keyPolicy = keyPolicy
            self.publicKeyPolicy = publicKeyPolicy
        }

        /// SHA-256 over the operation's canonical JSON, hex: what the signed log's intent entry
        /// records as `journal`, binding this record to it.
        public var digest: String {
            let bytes = (try? CanonicalJSON.encode(encodable: self)) ?? []
            return Array(SHA256.hash(data: bytes)).hexString
        }
    }

    /// A key's policy as the inventory reads it (usage flags and policy attributes), `CKA_TOKEN` aside:
    /// a torn promotion differs from the staged copy in that one attribute only.
    public struct StagedPolicy: Sendable, Codable, Hashable {
        public let usage: [String]
        public let attributes: KeyRecord.PolicyAttributes

        public init(_ record: KeyRecord) {
            usage = record.usage.sorted()
            var attributes = record.attributes
            attributes.token = nil
            self.attributes = attributes
        }

        /// Whether `record` carries exactly this policy, `CKA_TOKEN` aside.
        public func matches(_ record: KeyRecord) -> Bool {
            self == StagedPolicy(record)
        }
    }

    /// A journal line.
    struct Record: Codable {
        /// `intent`, `done` or `recovered`.
        let type: String
        let batch: String
        let operations: [Operation]?
        let outcomes: [String: String]?
    }

    public let path: String
    private let fd: Int32

    /// Opens (creating) `journal.jsonl` in `directory`.
    public init(directory: String) throws(ReconcileError) {
        path = directory + "/journal.jsonl"
        do {
            fd = try PosixFile.open(path, O_WRONLY | O_CREAT | O_APPEND, mode: 0o600)
        } catch {
            throw .state(error.description)
        }
    }

    deinit {
        PosixFile.close(fd)
    }

    /// Announces `operations`, durably, before any of them touches an HSM.
    public func intend(_ operations: [Operation], batch: String) throws(ReconcileError) {
        try append(Record(type: "intent", batch: batch, operations: operations, outcomes: nil))
    }

    /// Records the outcome of each operation of a batch (`committed`, `failed`, `unknown`), durably.
    public func finish(batch: String, outcomes: [String: String]) throws(ReconcileError) {
        try append(Record(type: "done", batch: batch, operations: nil, outcomes: outcomes))
    }

    /// Records what recovery decided for pending operations.
    public func recovered(_ outcomes: [String: String]) throws(ReconcileError) {
        try append(Record(type: "recovered", batch: "recovery", operations: nil, outcomes: outcomes))
    }

    /// Operations announced and never decided: no outcome, or `unknown` (the HSM failed mid-call, so
    /// the copy may or may not be on the token; recovery looks). A torn last line (a crash
    /// mid-write) is ignored: its batch was never acted on, because acting waits for the `fsync`.
    public static func pending(in directory: String) throws(ReconcileError) -> [Operation] {
        let path = directory + "/journal.jsonl"
        guard let data = FileManager.default.contents(atPath: path) else { return [] }
        var intents: [String: Operation] = [:]
        var order: [String] = []
        let decoder = JSONDecoder()
        for line in data.split(separator: 0x0A) {
            guard let record = try? decoder.decode(Record.self, from: Data(line)) else { continue }
            for operation in record.operations ?? [] where intents[operation.op] == nil {
                intents[operation.op] = operation
                order.append(operation.op)
            }
            for (op, outcome) in record.outcomes ?? [:] where outcome != "unknown" {
                intents[op] = nil
            }
        }
        return order.compactMap { intents[$0] }
    }

    /// Empties the journal once nothing in it is pending (it only grows otherwise).
    public func truncate() throws(ReconcileError) {
        do {
            try PosixFile.truncate(fd, to: 0, path: path)
            try PosixFile.sync(fd, path: path)
        } catch {
            throw .state(error.description)
        }
    }

    private func append(_ record: Record) throws(ReconcileError) {
        guard var bytes = try? CanonicalJSON.encode(encodable: record) else {
            throw .state("cannot encode a journal record")
        }
        bytes.append(0x0A)
        do {
            try PosixFile.writeAll(fd, bytes, path: path)
            // The intent must be on disk before the HSM is touched; an fsync error is never retried.
            try PosixFile.sync(fd, path: path)
        } catch {
            throw .state(error.description)
        }
    }
}
