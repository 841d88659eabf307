import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The intent journal of `hsmsync reconcile` (SECURITY.md R21, §5): an append-only JSON Lines file
/// in the fleet's state directory, `fsync`ed before the HSM mutations it announces.
///
/// Intents are written per batch — one `fsync` announces up to a batch of copies — and so is their
/// outcome. This is as crash-safe as one `fsync` per key: a copy's only token write is its
/// promotion, and recovery never trusts the journal alone. It looks every pending copy up on its
/// destination by identity and fingerprint (``ReconcileRecovery``): present and matching →
/// committed; present and different → conflict; absent → rolled back (staged session objects
/// vanish with the process that made them) and planned again.
public final class ReplicationJournal {
    /// One copy announced in the journal.
    public struct Operation: Sendable, Codable, Hashable {
        public let op: String
        public let key: KeyIdentity
        public let publicKey: KeyIdentity?
        public let source: String
        public let destination: String
        public let fingerprint: Fingerprint
        /// Objects on the destination with no identity at all (torn, unreadable) when the copy was
        /// planned. When it was 0, every such object found after a crash was made by this copy's
        /// interrupted promotion: provably ours, so recovery may remove it.
        public let anonymousObjectsBefore: Int?
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
        fd = Glibc.open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw .state("cannot open \(path): \(String(cString: strerror(errno)))") }
    }

    deinit {
        Glibc.close(fd)
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

    /// Operations announced and never finished or recovered. A torn last line (a crash mid-write)
    /// is ignored: its batch was never acted on, because acting waits for the `fsync`.
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
            for op in (record.outcomes ?? [:]).keys {
                intents[op] = nil
            }
        }
        return order.compactMap { intents[$0] }
    }

    /// Empties the journal once nothing in it is pending (it only grows otherwise).
    public func truncate() throws(ReconcileError) {
        guard ftruncate(fd, 0) == 0, fsync(fd) == 0 else {
            throw .state("cannot truncate \(path): \(String(cString: strerror(errno)))")
        }
    }

    private func append(_ record: Record) throws(ReconcileError) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard var bytes = try? Array(encoder.encode(record)) else { throw .state("cannot encode a journal record") }
        bytes.append(0x0A)
        let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        guard written == bytes.count else {
            throw .state("cannot write \(path): \(String(cString: strerror(errno)))")
        }
        // The intent must be on disk before the HSM is touched; an fsync error is never retried.
        guard fsync(fd) == 0 else { throw .state("cannot fsync \(path): \(String(cString: strerror(errno)))") }
    }
}
