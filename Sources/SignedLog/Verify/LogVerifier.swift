import Glibc
import HSMSyncModel

/// `hsmsync log verify`: every check of AUDIT-LOG.md §6 over a log directory, in one streaming
/// pass over `entries.jsonl` with O(log n) memory for the entries (plus one small record per
/// checkpoint).
///
/// The verifier trusts nothing in the directory but what the auditor brings: the vkey (or, if
/// none is given, `log.vkey`, which the report says), the policy and trusted checkpoints. The
/// `state` file and any index are never inputs.
public struct LogVerifier: Sendable {
    /// The most findings listed in a report; further ones are counted.
    public static let maximumFindings = 1000

    public let directory: LogDirectory
    public let options: VerificationOptions

    public init(directory: LogDirectory, options: VerificationOptions = VerificationOptions()) {
        self.directory = directory
        self.options = options
    }

    /// Reads `DIR/log.vkey`.
    /// - Throws: ``VerificationInputError`` (BAD_VKEY) when it is missing or does not parse.
    public static func readVerifierKey(at path: String) throws -> VerifierKey {
        let bytes: [UInt8]
        do {
            bytes = try PosixFile.readAll(path, limit: 64 * 1024)
        } catch {
            throw VerificationInputError(.badVkey, "cannot read the vkey: \(error)")
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw VerificationInputError(.badVkey, "\(path) is not UTF-8")
        }
        do {
            return try VerifierKey(parsing: text)
        } catch {
            throw VerificationInputError(.badVkey, "\(path): \(error.reason)")
        }
    }

    /// Runs every check.
    /// - Returns: the report; integrity problems are findings in it, not errors.
    /// - Throws: ``VerificationInputError`` when verification cannot start (BAD_VKEY, an anchor that
    ///   does not verify, no `entries.jsonl`); ``LogIOError`` for I/O failures.
    public func verify() throws -> VerificationReport {
        guard PosixFile.exists(directory.path) else {
            throw VerificationInputError(nil, "\(directory.path) does not exist")
        }
        let (key, keySource) = try logKey()
        guard PosixFile.exists(directory.entries) else {
            throw VerificationInputError(nil, "\(directory.entries) does not exist")
        }
        let origin = key.name
        if let openedOrigin = try Self.logOpenOrigin(directory.entries), openedOrigin != origin {
            throw VerificationInputError(
                .badVkey, "the vkey is for \(origin), but this log's log.open names the origin \(openedOrigin)")
        }
        var findings = FindingCollector()

        let loaded = try CheckpointLoader(directory: directory, key: key, strict: options.strict).load()
        for finding in loaded.findings { findings.add(finding) }
        let anchors = try options.trustedCheckpoints.map { try Self.anchor($0, key: key) }

        var checks = loaded.accepted.values.map {
            EntryStreamChecker.RootCheck(size: $0.checkpoint.size, root: $0.checkpoint.rootHash, kind: .checkpoint)
        }
        checks += anchors.map {
            EntryStreamChecker.RootCheck(size: $0.size, root: $0.root, kind: .anchor(source: $0.source))
        }
        var checker = EntryStreamChecker(
            checks: checks, tolerance: options.timeTolerance, strict: options.strict, findings: findings)

        let tornLength = try EntryPipeline(
            path: directory.entries, origin: Array(origin.utf8), threads: options.threads
        )
        .run { checker.add($0) }
        checker.finish()
        findings = checker.findings
        let entries = checker.count
        let signedPrefix = loaded.accepted.keys.max() ?? 0
        addExtentFindings(
            to: &findings, entries: entries, tornLength: tornLength, checkpointSizes: loaded.accepted.keys.sorted(),
            anchors: anchors, signedPrefix: signedPrefix)

        let witnessing = CosignatureAudit(
            accepted: loaded.accepted, policy: options.policy, ceremonyCloseIndices: checker.ceremonyCloseIndices,
            now: options.now, tolerance: options.timeTolerance)
        let cosignatures = witnessing.run()
        for finding in cosignatures.findings { findings.add(finding) }

        let anchoredSize = anchors.filter { $0.size <= entries }.map(\.size).max()
        let anchorFailed = findings.findings.contains { $0.class == .forkVsAnchor || $0.class == .truncationVsAnchor }
        let anchored = !anchorFailed && signedPrefix > 0 && (anchoredSize ?? 0) >= signedPrefix

        return VerificationReport(
            origin: origin, vkey: key.description, vkeySource: keySource,
            findings: findings.findings.sorted(by: VerificationFinding.reportOrder), omittedFindings: findings.omitted,
            entries: entries, signedPrefix: signedPrefix, checkpoints: cosignatures.summaries,
            ceremoniesOpened: checker.ceremoniesOpened, ceremoniesClosed: checker.ceremonyCloseIndices.count,
            quorumMetAt: cosignatures.summaries.filter { $0.quorumMet == true }.map(\.size),
            ignoredCosignatures: cosignatures.ignored,
            anchors: anchors.map { VerificationReport.Anchor(source: $0.source, size: $0.size) },
            anchored: anchored)
    }

    /// The vkey to verify with and where it came from: the auditor's, else the directory's own
    /// (which the report then says); either must be a log key, and one of the policy's logs.
    private func logKey() throws -> (key: VerifierKey, source: String) {
        let key = try options.trustedKey ?? Self.readVerifierKey(at: directory.vkey)
        let keySource =
            options.trustedKey == nil ? "\(directory.vkey) (inside the log directory)" : options.trustedKeySource
        guard key.type == .ed25519 || key.type == .ecdsa else {
            throw VerificationInputError(.badVkey, "a log key has type 0x01 or 0x02, not \(key.type)")
        }
        if let policy = options.policy, !policy.logs.isEmpty, !policy.logs.contains(key) {
            throw VerificationInputError(.badVkey, "the vkey \(key) is not a log of the policy")
        }
        return (key, keySource)
    }

    /// Findings on how far the entries reach: a torn tail, no entries at all, fewer entries than a
    /// checkpoint or trusted checkpoint covers, and entries beyond every signed checkpoint.
    private func addExtentFindings(
        to findings: inout FindingCollector, entries: UInt64, tornLength: Int64?, checkpointSizes: [UInt64],
        anchors: [VerifiedAnchor], signedPrefix: UInt64
    ) {
        if let tornLength {
            findings.add(
                VerificationFinding(
                    .tornTail, index: entries,
                    message:
                        "\(tornLength) byte(s) after the last newline (a torn write); the writer's recovery cuts them"))
        }
        if entries == 0 && checkpointSizes.isEmpty {
            findings.add(VerificationFinding(.parse, index: 0, message: "the log has no entries (no log.open)"))
        }
        for size in checkpointSizes where size > entries {
            findings.add(
                VerificationFinding(
                    .truncation, index: entries, checkpoint: size,
                    message: "checkpoint \(size) covers more entries than the \(entries) present: the log was truncated"
                ))
        }
        for anchor in anchors where anchor.size > entries {
            findings.add(
                VerificationFinding(
                    .truncationVsAnchor, index: entries, checkpoint: anchor.size,
                    message: "trusted checkpoint \(anchor.source) covers \(anchor.size) entries, the log has \(entries)"
                ))
        }
        if entries > signedPrefix {
            findings.add(
                VerificationFinding(
                    .unsignedTail, severity: options.strict ? .error : .warning, index: signedPrefix,
                    message: "entries \(signedPrefix)..<\(entries) are covered by no signed checkpoint"))
        }
    }

    /// The `log` of the first line when it is a well-formed `log.open` entry, else `nil` (the
    /// stream then reports what is wrong with it).
    static func logOpenOrigin(_ path: String) throws -> String? {
        let fd = try PosixFile.open(path, O_RDONLY)
        defer { PosixFile.close(fd) }
        var buffer = [UInt8](repeating: 0, count: StrictJSONParser.maximumLineLength + 1)
        let count = try buffer.withUnsafeMutableBytes { (raw) throws(LogIOError) in
            try PosixFile.read(fd, into: raw, at: 0, path: path)
        }
        guard let newline = buffer[..<count].firstIndex(of: 0x0A),
            let entry = try? AuditEntry(line: Array(buffer[..<newline])),
            entry.action == AuditAction.logOpen.rawValue, entry.seq == 0
        else { return nil }
        return entry.log
    }

    private struct VerifiedAnchor {
        let source: String
        let size: UInt64
        let root: MerkleHash
    }

    /// A trusted checkpoint must be a well-formed checkpoint of this log, validly signed by its key.
    private static func anchor(_ trusted: VerificationOptions.TrustedCheckpoint, key: VerifierKey) throws
        -> VerifiedAnchor
    {
        let checkpoint: Checkpoint
        do {
            checkpoint = try Checkpoint(text: trusted.note.text)
        } catch {
            throw VerificationInputError(nil, "trusted checkpoint \(trusted.source): \(error.reason)")
        }
        let text = trusted.note.textBytes
        let known = trusted.note.signatures.filter { key.matches($0) }
        guard !known.isEmpty, known.allSatisfy({ key.verify($0, text: text) }) else {
            throw VerificationInputError(
                nil, "trusted checkpoint \(trusted.source) is not validly signed by the log key")
        }
        guard checkpoint.origin == key.name else {
            throw VerificationInputError(nil, "trusted checkpoint \(trusted.source) is for origin \(checkpoint.origin)")
        }
        return VerifiedAnchor(source: trusted.source, size: checkpoint.size, root: checkpoint.rootHash)
    }
}
