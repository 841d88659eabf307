import Foundation
import Glibc
public import HSMSyncModel

extension AuditLog {
    /// Opens a log for writing (AUDIT-LOG.md §5.4): takes the lock, checks the signer is the log
    /// key, finds the latest validly signed checkpoint, confirms the entries reproduce it (from
    /// `state` when its root matches, else by re-hashing), and recovers the tail: bytes beyond the
    /// signed size that are torn (no final newline, NULs, an unparsable line, a `seq`/`prev`
    /// mismatch) are saved to `recovery/torn-<time>.bin`, cut, and recorded in a `log.recovered`
    /// entry; unsigned intact entries are signed by a new checkpoint.
    /// - Throws: ``AuditLogError/damaged(_:)`` when the signed part is damaged (nothing is
    ///   written), ``AuditLogError/locked(path:)``, ``AuditLogError/keyMismatch(logKey:signerKey:)``.
    public static func open(
        directory path: String, signer: any AuditSigner, actor: AuditActor,
        configuration: Configuration = Configuration()
    ) async throws -> AuditLog {
        let directory = LogDirectory(path: path)
        guard PosixFile.exists(directory.entries) else { throw AuditLogError.notALog(path: path) }
        let log = AuditLog(directory: directory, origin: signer.keyName, signer: signer, configuration: configuration)
        try await log.reopen(actor: actor)
        return log
    }

    private func reopen(actor: AuditActor) async throws {
        try takeLock()
        let logKey = try LogVerifier.readVerifierKey(at: directory.vkey)
        guard logKey == verifierKey else {
            throw AuditLogError.keyMismatch(logKey: logKey.description, signerKey: verifierKey.description)
        }
        removeStaleTemporaries()
        let latest: CheckpointLoader.Accepted?
        switch try CheckpointLoader(directory: directory, key: logKey, strict: false).latest() {
        case .success(let found): latest = found
        case .failure(let error): throw AuditLogError.damaged(error.finding)
        }
        let signed =
            latest.map { TreeHead(size: $0.checkpoint.size, rootHash: $0.checkpoint.rootHash) }
            ?? TreeHead(size: 0, rootHash: TreeHasher.emptyRoot)
        let anchor = try await configuration.anchorStore?.load()
        if let anchor, anchor.size > signed.size {
            throw AuditLogError.damaged(
                VerificationFinding(
                    .truncationVsAnchor, index: signed.size, checkpoint: anchor.size,
                    message:
                        "the anchor store holds a checkpoint of size \(anchor.size), the log's latest is \(signed.size)"
                ))
        }

        // The signed prefix: from `state` when it agrees with the latest checkpoint, else re-hashed.
        if let anchor, anchor.size < signed.size {
            try rehashSignedPrefix(latest, signed: signed, anchor: anchor)
        } else if let state = usableState(signed: signed) {
            range = state.range
            lastLeaf = state.lastLeaf
            endOffset = state.offset
        } else {
            try rehashSignedPrefix(latest, signed: signed, anchor: nil)
        }
        if let anchor, anchor.size == signed.size, anchor.rootHash != signed.rootHash {
            throw AuditLogError.damaged(
                VerificationFinding(
                    .forkVsAnchor, checkpoint: anchor.size,
                    message: "the anchor store's root at size \(anchor.size) differs from the log's checkpoint"))
        }
        signedHead = signed

        let tail = try scanTail()
        try checkHeadMark(latest: latest)
        if tail.tornOffset != nil || tail.intactCount > 0 {
            let report = try saveTornBytes(tail)
            if let confirm = configuration.confirmRecovery, !(await confirm(report)) {
                throw AuditLogError.recoveryDeclined
            }
            try cutTornBytes(tail)
            recovery = report
        }
        entriesFD = try PosixFile.open(directory.entries, O_WRONLY | O_APPEND)
        if let recovery, recovery.truncatedBytes > 0 {
            try await append(
                AuditEntryDraft(
                    action: .logRecovered, actor: actor,
                    outputs: [
                        "truncated_bytes": .integer(recovery.truncatedBytes),
                        "sha256": .string(recovery.digest?.description ?? ""),
                        "last_good_seq": .integer(recovery.lastGoodSeq),
                        "saved_to": .string(recovery.savedTo ?? ""),
                    ]))
        }
        if range.size > signedHead.size {
            try await checkpoint()
        } else if !latestCopyIsCurrent() {
            try repairLatestCopy()
        }
        startBulkTimer()
    }

    /// Before anything is cut, appended or signed: the entries (signed and intact unsigned) must
    /// extend this host's head mark. A log without a mark here — the first open after an upgrade,
    /// or a log moved to this host — is trusted on first use: its latest checkpoint becomes the mark.
    private func checkHeadMark(latest: CheckpointLoader.Accepted?) throws {
        guard let marks = configuration.headMarks else { return }
        let lock = try marks.lock(for: verifierKey)
        defer { PosixFile.close(lock) }
        if let mark = try marks.load(for: verifierKey) {
            try requireConsistent(with: mark)
            return
        }
        guard let latest else { return }
        var note = try SignedNote(parsing: Array(latest.noteText.utf8))
        let key = verifierKey
        note.signatures = note.signatures.filter { key.matches($0) }
        try marks.store(note, for: key)
        knownMark = signedHead
        headMarkAdoption = LogHeadAdoption(path: marks.path(for: key), size: signedHead.size)
    }

    private func removeStaleTemporaries() {
        for name in (try? PosixFile.list(directory.checkpoints)) ?? [] where name.hasSuffix(".tmp") {
            PosixFile.remove(directory.checkpoints + "/" + name)
        }
        PosixFile.remove(directory.latestCheckpoint + ".tmp")
        PosixFile.remove(directory.state + ".tmp")
    }

    /// The `state` file, if it describes exactly the latest checkpoint and the bytes agree.
    private func usableState(signed: TreeHead) -> LogState? {
        guard let bytes = try? PosixFile.readAll(directory.state), let state = LogState(parsing: bytes),
            state.size == signed.size, state.range.root == signed.rootHash
        else { return nil }
        guard state.size > 0 else { return state.offset == 0 ? state : nil }
        // The line before `offset` must end there and hash to `last`.
        guard let fd = try? PosixFile.open(directory.entries, O_RDONLY) else { return nil }
        defer { PosixFile.close(fd) }
        let window = Int(min(state.offset, Int64(StrictJSONParser.maximumLineLength + 1)))
        var buffer = [UInt8](repeating: 0, count: window)
        let count = buffer.withUnsafeMutableBytes { raw in
            (try? PosixFile.read(fd, into: raw, at: state.offset - Int64(window), path: directory.entries)) ?? 0
        }
        guard count == window, buffer.last == 0x0A else { return nil }
        let body = buffer.dropLast()
        let start = body.lastIndex(of: 0x0A).map { $0 + 1 } ?? body.startIndex
        if start == body.startIndex && state.offset > Int64(window) { return nil }
        guard TreeHasher.leafHash(Array(body[start...])) == state.lastLeaf else { return nil }
        return state
    }

    /// Re-hashes the signed prefix, requiring every line to be valid and the latest checkpoint's
    /// root (and the anchor's) to match; stops after `signed.size` lines.
    private func rehashSignedPrefix(_ latest: CheckpointLoader.Accepted?, signed: TreeHead, anchor: TreeHead?) throws {
        var checks =
            latest.map {
                [
                    EntryStreamChecker.RootCheck(
                        size: $0.checkpoint.size, root: $0.checkpoint.rootHash, kind: .checkpoint)
                ]
            } ?? []
        if let anchor {
            checks.append(
                EntryStreamChecker.RootCheck(
                    size: anchor.size, root: anchor.rootHash, kind: .anchor(source: "anchor store")))
        }
        var checker = EntryStreamChecker(
            checks: checks, tolerance: Int64.max / 4, strict: false, findings: FindingCollector())
        var reader = try LineReader(path: directory.entries)
        var parser = StrictJSONParser()
        let originBytes = Array(origin.utf8)
        while checker.count < signed.size, let line = try reader.next() {
            switch line {
            case .complete(let bytes):
                checker.add(LineRecord.examine(bytes, origin: originBytes, parser: &parser))
            case .overlong(let length, let leafHash):
                checker.add(LineRecord.overlong(length: length, leafHash: leafHash))
            case .unterminated:
                break
            }
            if let finding = checker.findings.findings.first(where: { $0.severity == .error }) {
                throw AuditLogError.damaged(finding)
            }
            lastLeafCandidate(line)
        }
        checker.finish()
        if let finding = checker.findings.findings.first(where: { $0.severity == .error }) {
            throw AuditLogError.damaged(finding)
        }
        guard checker.count == signed.size else {
            throw AuditLogError.damaged(
                VerificationFinding(
                    .truncation, index: checker.count, checkpoint: signed.size,
                    message: "checkpoint \(signed.size) covers more entries than the \(checker.count) present"))
        }
        range = checker.range
        endOffset = reader.offset
    }

    private func lastLeafCandidate(_ line: LineReader.Line) {
        switch line {
        case .complete(let bytes): lastLeaf = TreeHasher.leafHash(bytes)
        case .overlong(_, let leafHash): lastLeaf = leafHash
        case .unterminated: break
        }
    }

    private func latestCopyIsCurrent() -> Bool {
        guard let bytes = try? PosixFile.readAll(directory.latestCheckpoint),
            let note = try? SignedNote(parsing: bytes),
            let checkpoint = try? Checkpoint(text: note.text)
        else { return false }
        return checkpoint.size == signedHead.size && checkpoint.rootHash == signedHead.rootHash
    }

    /// Rewrites `checkpoint` and `state` from the latest note after a crash between the two steps.
    private func repairLatestCopy() throws {
        let note = try PosixFile.readAll(directory.checkpointNote(size: signedHead.size))
        try writeLatest(note: note, state: LogState(range: range, offset: endOffset, lastLeaf: lastLeaf))
    }
}
