import Foundation
import HSMSyncModel
import HSMSyncTesting
import PKCS11
import SignedLog
import Synchronization
import Testing

@testable import HSMSyncCore

/// A clock the tests move: each reading advances it by one second, so entry times increase.
final class TestClock: Sendable {
    private let value: Mutex<Date>

    init(_ start: Date = Date(timeIntervalSince1970: 1_777_896_000)) {
        value = Mutex(start)
    }

    func read() -> Date {
        value.withLock { now in
            defer { now += 1 }
            return now
        }
    }

    func set(_ date: Date) { value.withLock { $0 = date } }
    func advance(_ seconds: TimeInterval) { value.withLock { $0 += seconds } }
}

/// A log written through the public API in a temporary directory, to be tampered with and
/// verified by both verifiers. Default shape: checkpoints at 1, 10, 20 and 30, then five unsigned
/// entries (35 entries).
final class LogFixture: Sendable {
    let temporary: TemporaryDirectory
    let log: LogDirectory
    let keyPath: String
    let origin: String
    let clock: TestClock

    var path: String { log.path }

    private init(temporary: TemporaryDirectory, origin: String, keyPath: String, clock: TestClock) {
        self.temporary = temporary
        self.log = LogDirectory(path: temporary.path("log"))
        self.keyPath = keyPath
        self.origin = origin
        self.clock = clock
    }

    /// An empty fixture sharing `other`'s key, origin and clock (for ``copy()``).
    init(copyOf other: LogFixture) throws {
        self.temporary = try TemporaryDirectory(prefix: "auditlog-copy")
        self.log = LogDirectory(path: temporary.path("log"))
        self.keyPath = other.keyPath
        self.origin = other.origin
        self.clock = other.clock
    }

    static let defaultOrigin = "test.example/hsmsync/00112233445566778899aabbccddeeff"

    /// Makes a log. `keyPath` reuses another fixture's key (same origin); `variant` changes the
    /// contents of every entry from that index on (a rewritten history).
    static func make(
        checkpoints: [Int] = [1, 10, 20, 30], tail: Int = 5, origin: String = defaultOrigin, keyPath: String? = nil,
        variant: Int? = nil
    ) async throws -> LogFixture {
        let temporary = try TemporaryDirectory(prefix: "auditlog")
        let key = keyPath ?? temporary.path("log.key")
        if keyPath == nil {
            try NotePrivateKey.generate(name: origin).write(to: key)
        }
        let fixture = LogFixture(temporary: temporary, origin: origin, keyPath: key, clock: TestClock())
        let signer = try FileKeySigner(path: key)
        let writer = try await AuditLog.create(
            directory: fixture.path, origin: origin, signer: signer, actor: AuditActor(id: "tester"),
            configuration: fixture.configuration)
        var size = 1
        for target in checkpoints.dropFirst() {
            while size < target {
                try await writer.append(draft(size, variant: variant))
                size += 1
            }
            try await writer.checkpoint()
        }
        for _ in 0..<tail {
            try await writer.append(draft(size, variant: variant))
            size += 1
        }
        try await writer.close()
        return fixture
    }

    var configuration: AuditLog.Configuration {
        let clock = self.clock
        return AuditLog.Configuration(clock: { clock.read() }, freeSpaceReserve: 0, toolVersion: "hsmsync test")
    }

    static func draft(_ index: Int, variant: Int? = nil) -> AuditEntryDraft {
        let rewritten = variant.map { index >= $0 } ?? false
        return AuditEntryDraft(
            action: index % 7 == 3 ? "key.generate" : "key.sync", actor: AuditActor(id: "svc", role: "sync"),
            inputs: ["envelope": AuditDigest.sha256(of: Array("envelope \(index)".utf8))],
            outputs: ["hsm": "dr-1", "key": .string(rewritten ? "rewritten\(index)" : "k\(index)"), "kcv": "1F2E3D"])
    }

    /// Opens the log for writing (recovery runs).
    func open(configuration: AuditLog.Configuration? = nil) async throws -> AuditLog {
        try await AuditLog.open(
            directory: path, signer: try FileKeySigner(path: keyPath), actor: AuditActor(id: "tester"),
            configuration: configuration ?? self.configuration)
    }

    // MARK: Files

    func entriesBytes() throws -> [UInt8] { try PosixFile.readAll(log.entries, limit: 1 << 30) }

    /// The complete lines (without newlines).
    func lines() throws -> [[UInt8]] {
        var parts = try entriesBytes().split(separator: 0x0A, omittingEmptySubsequences: false).map(Array.init)
        parts.removeLast()
        return parts
    }

    /// Replaces `entries.jsonl` with `lines`, each followed by a newline, then `trailer`.
    func setLines(_ lines: [[UInt8]], trailer: [UInt8] = []) throws {
        try write(log.entries, lines.flatMap { $0 + [0x0A] } + trailer)
    }

    func note(size: Int) throws -> [UInt8] { try PosixFile.readAll(log.checkpointNote(size: UInt64(size))) }
    func setNote(size: Int, _ bytes: [UInt8]) throws { try write(log.checkpointNote(size: UInt64(size)), bytes) }
    func latest() throws -> [UInt8] { try PosixFile.readAll(log.latestCheckpoint) }
    func setLatest(_ bytes: [UInt8]) throws { try write(log.latestCheckpoint, bytes) }

    func write(_ path: String, _ bytes: [UInt8]) throws {
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    /// A note over `text` signed by the log key.
    func signedNote(_ text: String) throws -> [UInt8] {
        let key = try NotePrivateKey.read(from: keyPath)
        let signature = try key.noteSignature(over: Array(text.utf8), now: 0)
        return Array(SignedNote(text: text, signatures: [signature]).serialized.utf8)
    }

    /// The checkpoint text the log would sign for its first `size` entries.
    func checkpointText(size: Int, origin: String? = nil) throws -> String {
        var range = CompactRange()
        for line in try lines().prefix(size) { range.append(TreeHasher.leafHash(line)) }
        return Checkpoint(origin: origin ?? self.origin, size: UInt64(size), rootHash: range.root).text
    }

    // MARK: Witnesses

    /// Makes a witness key file and returns its path and vkey.
    func makeWitness(_ name: String) throws -> (path: String, vkey: VerifierKey) {
        let path = temporary.path("\(name).key")
        let key = try NotePrivateKey.generate(name: "witness.example/\(name)", type: .cosignatureV1)
        try key.write(to: path)
        return (path, key.verifierKey)
    }

    /// Writes a policy naming the log and `witnesses`, with `quorum`, and returns its path.
    func writePolicy(witnesses: [(name: String, vkey: VerifierKey)], groups: [String] = [], quorum: String) throws
        -> String
    {
        let vkey = try LogVerifier.readVerifierKey(at: log.vkey)
        var text = "log \(vkey)\n"
        for witness in witnesses { text += "witness \(witness.name) \(witness.vkey)\n" }
        for group in groups { text += group + "\n" }
        text += "quorum \(quorum)\n"
        let path = temporary.path("policy")
        try write(path, Array(text.utf8))
        return path
    }

    /// Adds a cosignature made at `timestamp` by the witness key at `keyPath` to checkpoint
    /// `size` (and to `checkpoint` when it is that checkpoint).
    func cosign(size: Int, keyPath: String, timestamp: UInt64) throws {
        let key = try NotePrivateKey.read(from: keyPath)
        for path in [log.checkpointNote(size: UInt64(size)), log.latestCheckpoint] {
            var note = try SignedNote(parsing: PosixFile.readAll(path))
            guard try Checkpoint(text: note.text).size == UInt64(size) else { continue }
            note.signatures.append(try key.noteSignature(over: note.textBytes, now: timestamp))
            try write(path, Array(note.serialized.utf8))
        }
    }

    // MARK: Verifying with both verifiers

    /// Runs the Swift verifier and the independent Python verifier with the same inputs, expects
    /// them to agree on verdict, class, first bad index and every finding, and returns the outcome.
    @discardableResult
    func verifyBoth(
        vkey: String? = nil, policy: String? = nil, anchors: [String] = [], strict: Bool = false, now: Date = Date(),
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> VerificationOutcome {
        let swift = VerificationOutcome.swift(
            directory: log, vkey: vkey, policy: policy, anchors: anchors, strict: strict, now: now)
        let python = try VerificationOutcome.python(
            directory: log, vkey: vkey, policy: policy, anchors: anchors, strict: strict, now: now)
        #expect(swift == python, "Swift and Python verifiers disagree", sourceLocation: sourceLocation)
        return swift
    }
}

/// What a verifier concluded, in the terms both verifiers share.
struct VerificationOutcome: Equatable, CustomStringConvertible {
    var verdict: String
    var `class`: String?
    var firstBadIndex: Int?
    /// `CLASS severity index blame checkpoint`, sorted.
    var findings: [String]
    var anchored: Bool?
    var signedPrefix: Int?
    var entries: Int?

    var description: String {
        "\(verdict) \(`class` ?? "-") first_bad_index=\(firstBadIndex.map(String.init) ?? "nil")\n  "
            + findings.joined(separator: "\n  ")
    }

    /// Whether a finding of `class` exists with the given index and/or checkpoint.
    func has(_ class: String, index: Int? = nil, checkpoint: Int? = nil, severity: String = "error") -> Bool {
        findings.contains { line in
            let parts = line.split(separator: " ").map(String.init)
            return parts[0] == `class` && parts[1] == severity && (index == nil || parts[2] == String(index!))
                && (checkpoint == nil || parts[4] == String(checkpoint!))
        }
    }

    static func key(_ cls: String, _ severity: String, _ index: Int?, _ blame: Int?, _ checkpoint: Int?) -> String {
        func text(_ value: Int?) -> String { value.map(String.init) ?? "-" }
        return "\(cls) \(severity) \(text(index)) \(text(blame)) \(text(checkpoint))"
    }

    static func swift(
        directory: LogDirectory, vkey: String?, policy: String?, anchors: [String], strict: Bool, now: Date
    ) -> VerificationOutcome {
        do {
            var options = VerificationOptions(strict: strict, now: now)
            if let vkey { options.trustedKey = try LogVerifier.readVerifierKey(at: vkey) }
            let policyPath = policy ?? (PosixFile.exists(directory.policy) ? directory.policy : nil)
            if let policyPath { options.policy = try WitnessPolicy(parsing: PosixFile.readAll(policyPath)) }
            options.trustedCheckpoints = try anchors.map {
                VerificationOptions.TrustedCheckpoint(source: $0, note: try SignedNote(parsing: PosixFile.readAll($0)))
            }
            let report = try LogVerifier(directory: directory, options: options).verify()
            return VerificationOutcome(
                verdict: report.isValid ? "valid" : "invalid", class: report.primary?.class.rawValue,
                firstBadIndex: report.firstBadIndex.map(Int.init),
                findings: report.findings.map {
                    key(
                        $0.class.rawValue, $0.severity.rawValue, $0.index.map(Int.init), $0.blame.map(Int.init),
                        $0.checkpoint.map(Int.init))
                }.sorted(),
                anchored: report.anchored, signedPrefix: Int(report.signedPrefix), entries: Int(report.entries))
        } catch let error as VerificationInputError {
            return VerificationOutcome(verdict: "error", class: error.class?.rawValue ?? "INPUT", findings: [])
        } catch {
            return VerificationOutcome(verdict: "error", class: "INPUT", findings: ["\(error)"])
        }
    }

    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Python/verify_log.py").path

    static func python(
        directory: LogDirectory, vkey: String?, policy: String?, anchors: [String], strict: Bool, now: Date
    ) throws -> VerificationOutcome {
        var arguments = [script, directory.path, "--json", "--now", String(Int(now.timeIntervalSince1970))]
        if let vkey { arguments += ["--vkey", vkey] }
        if let policy { arguments += ["--policy", policy] }
        for anchor in anchors { arguments += ["--trusted-checkpoint", anchor] }
        if strict { arguments.append("--strict") }
        let result = try CommandRunner.run(URL(fileURLWithPath: "/usr/bin/env"), ["python3"] + arguments)
        guard [0, 1, 2].contains(result.status),
            let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        else {
            Issue.record("the Python verifier failed: \(result)")
            return VerificationOutcome(verdict: "python-failed", findings: [result.stderr])
        }
        if result.status == 2 {
            return VerificationOutcome(verdict: "error", class: object["class"] as? String, findings: [])
        }
        #expect((result.status == 0) == (object["verdict"] as? String == "valid"))
        let findings = (object["findings"] as? [[String: Any]] ?? []).map {
            key(
                $0["class"] as! String, $0["severity"] as! String, $0["index"] as? Int, $0["blame"] as? Int,
                $0["checkpoint"] as? Int)
        }.sorted()
        return VerificationOutcome(
            verdict: object["verdict"] as! String, class: object["class"] as? String,
            firstBadIndex: object["first_bad_index"] as? Int, findings: findings, anchored: object["anchored"] as? Bool,
            signedPrefix: object["signed_prefix"] as? Int, entries: object["entries"] as? Int)
    }
}
