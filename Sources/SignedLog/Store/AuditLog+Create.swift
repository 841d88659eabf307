import Foundation
import Glibc
public import HSMSyncModel

extension AuditLog {
    /// Creates a log (`hsmsync log init`): the directory layout, `log.vkey`, an optional policy,
    /// the first entry `log.open` and checkpoint 1.
    ///
    /// `log.open` records the origin, the vkey and the tool version as outputs, and the SHA-256 of
    /// the policy and of the configuration (the fleet file) as inputs.
    /// - Parameters:
    ///   - directory: a new or empty directory.
    ///   - origin: the log's origin, `<org domain>/hsmsync/<128-bit random hex>`; must equal the
    ///     signer's key name.
    ///   - signer: the log key.
    ///   - actor: who creates the log.
    ///   - policy: the witness policy, written to `policy`.
    ///   - configDigest: the SHA-256 of the configuration the log serves.
    public static func create(
        directory path: String, origin: String, signer: any AuditSigner, actor: AuditActor,
        policy: WitnessPolicy? = nil, configDigest: AuditDigest? = nil, configuration: Configuration = Configuration()
    ) async throws -> AuditLog {
        guard KeyName.isValid(origin) else {
            throw AuditLogError.invalidOrigin(
                "invalid origin \"\(origin)\": it must be non-empty, without spaces or '+'")
        }
        guard signer.keyName == origin else {
            throw AuditLogError.invalidOrigin(
                "the log key is named \(signer.keyName); it must be named as the origin \(origin)")
        }
        guard signer.signatureType == .ed25519 || signer.signatureType == .ecdsa else {
            throw AuditLogError.invalidOrigin("a log key signs with Ed25519 (0x01) or ECDSA (0x02)")
        }
        let log = AuditLog(
            directory: LogDirectory(path: path), origin: origin, signer: signer, configuration: configuration)
        try await log.initialize(actor: actor, policy: policy, configDigest: configDigest)
        return log
    }

    private func initialize(actor: AuditActor, policy: WitnessPolicy?, configDigest: AuditDigest?) async throws {
        try PosixFile.makeDirectory(directory.path, mode: 0o755, mayExist: true)
        if PosixFile.exists(directory.entries) || PosixFile.exists(directory.vkey) {
            throw AuditLogError.alreadyExists(path: directory.path)
        }
        if let marks = configuration.headMarks, let mark = try marks.load(for: verifierKey) {
            throw AuditLogError.headMarkExists(markPath: mark.path, markSize: mark.head.size)
        }
        try takeLock()
        try PosixFile.makeDirectory(directory.checkpoints, mayExist: true)
        try PosixFile.makeDirectory(directory.recovery, mode: 0o700, mayExist: true)
        let vkey = Array((verifierKey.description + "\n").utf8)
        try vkey.withBytes { (bytes) throws(LogIOError) in
            try PosixFile.createExclusively(directory.vkey, with: bytes, mode: 0o644)
        }
        if let policy {
            try policy.bytes.withBytes { (bytes) throws(LogIOError) in
                try PosixFile.createExclusively(directory.policy, with: bytes, mode: 0o644)
            }
        }
        entriesFD = try PosixFile.open(directory.entries, O_WRONLY | O_APPEND | O_CREAT | O_EXCL, mode: 0o644)
        try PosixFile.syncDirectory(directory.path)
        var inputs: [String: AuditDigest] = [:]
        if let policy { inputs["policy"] = AuditDigest.sha256(of: policy.bytes) }
        if let configDigest { inputs["config"] = configDigest }
        try await append(
            AuditEntryDraft(
                action: .logOpen, actor: actor, inputs: inputs,
                outputs: [
                    "origin": .string(origin), "vkey": .string(verifierKey.description),
                    "tool": .string(configuration.toolVersion),
                ]))
        try await checkpoint()
        startBulkTimer()
    }

    /// Takes the writer lock on `LOCK`, without blocking; retries for up to a second, because a
    /// process forked by this one (any subprocess, until its `exec`) briefly shares the lock of
    /// a descriptor just closed.
    func takeLock() throws {
        let fd = try PosixFile.open(directory.lock, O_RDWR | O_CREAT, mode: 0o644)
        let deadline = ContinuousClock.now + .seconds(1)
        while try !PosixFile.tryLock(fd, path: directory.lock) {
            guard ContinuousClock.now < deadline else {
                PosixFile.close(fd)
                throw AuditLogError.locked(path: directory.lock)
            }
            usleep(10_000)
        }
        lockFD = fd
    }
}
