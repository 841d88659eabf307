import Foundation
import Glibc

/// The single writer of a signed audit log (AUDIT-LOG.md §3–§5).
///
/// Every entry is written with one `write` on an `O_APPEND` descriptor and `fdatasync`ed before
/// ``append(_:)`` returns; nothing signs over bytes that are not durable. Checkpoints are signed
/// C2SP notes written through temp file, `fsync`, `rename` and directory `fsync`. A `flock` on
/// `LOCK` keeps other writers out; opening recovers a torn tail beyond the last signed checkpoint
/// and refuses to write when the signed part is damaged.
///
/// > Important: Call ``close()`` when done: it signs any unsigned entries in bulk mode and
/// > releases the lock. The actor's file calls block for an `fdatasync` (milliseconds at most);
/// > it runs on the shared pool, which a single writer does not starve, and avoids a thread hop
/// > per entry (a dedicated thread cost a quarter of the durable append rate).
public actor AuditLog {
    /// The log's directory.
    public nonisolated let directory: LogDirectory
    /// The log's origin (its key's name).
    public nonisolated let origin: String
    private let signer: any AuditSigner
    let configuration: Configuration

    package var entriesFD: Int32 = -1
    var lockFD: Int32 = -1
    /// The tree over all durable entries.
    var range = CompactRange()
    var lastLeaf = MerkleHash.zero
    /// The size of `entries.jsonl` (offset of the next line).
    var endOffset: Int64 = 0
    /// The last checkpoint written.
    var signedHead = TreeHead(size: 0, rootHash: TreeHasher.emptyRoot)
    private var lastCheckpointAt = ContinuousClock.now
    private var failure: String?
    private var isClosed = false
    private var checkpointBusy = false
    private var checkpointWaiters: [CheckedContinuation<Void, Never>] = []
    private var bulkTimer: Task<Void, Never>?
    /// What ``open(directory:signer:configuration:)`` repaired, if anything.
    public internal(set) var recovery: RecoveryReport?
    /// The head mark recorded on opening a log this host had none for (trust on first use).
    public internal(set) var headMarkAdoption: LogHeadAdoption?
    /// The head mark as this writer last read or wrote it: the tree is known to extend it, so
    /// signing need not re-read the entries while it is unchanged.
    var knownMark: TreeHead?

    init(directory: LogDirectory, origin: String, signer: any AuditSigner, configuration: Configuration) {
        self.directory = directory
        self.origin = origin
        self.signer = signer
        self.configuration = configuration
    }

    deinit {
        if entriesFD >= 0 { PosixFile.close(entriesFD) }
        if lockFD >= 0 { PosixFile.close(lockFD) }
    }

    /// The number of durable entries.
    public var size: UInt64 { range.size }
    /// The size covered by the last checkpoint.
    public var signedSize: UInt64 { signedHead.size }
    /// `MTH` of all durable entries.
    public var rootHash: MerkleHash { range.root }
    /// The log's vkey.
    public nonisolated var verifierKey: VerifierKey { signer.verifierKey }

    func checkWritable() throws {
        if isClosed { throw AuditLogError.closed }
        if let failure { throw AuditLogError.failed(reason: failure) }
    }

    /// Marks the log failed: an `fsync` error is never retried (dirty pages may be gone).
    func fail(_ error: any Error) {
        failure = "\(error)"
        if entriesFD >= 0 {
            PosixFile.close(entriesFD)
            entriesFD = -1
        }
    }

    // MARK: Checkpoints

    /// Signs a checkpoint over all durable entries and writes it durably; returns when it is
    /// "committed". Does nothing new when no entry was added since the last checkpoint.
    @discardableResult
    public func checkpoint() async throws -> CheckpointReceipt {
        try checkWritable()
        await acquireCheckpoint()
        defer { releaseCheckpoint() }
        return try await signCheckpoint()
    }

    private func signCheckpoint() async throws -> CheckpointReceipt {
        let state = LogState(range: range, offset: endOffset, lastLeaf: lastLeaf)
        let head = TreeHead(size: range.size, rootHash: range.root)
        let checkpoint = Checkpoint(origin: origin, size: head.size, rootHash: head.rootHash)
        if head.size == signedHead.size,
            let existing = try? PosixFile.readAll(directory.checkpointNote(size: head.size))
        {
            return CheckpointReceipt(
                size: head.size, rootHash: head.rootHash, note: String(decoding: existing, as: UTF8.self))
        }
        // The mark's lock is held from the consistency check to the new mark, across the signature.
        let markLock = try configuration.headMarks.map { try $0.lock(for: verifierKey) }
        defer { if let markLock { PosixFile.close(markLock) } }
        if let marks = configuration.headMarks, let mark = try marks.load(for: verifierKey) {
            try requireConsistent(with: mark)
        }
        let text = Array(checkpoint.text.utf8)
        let signature = NoteSignature(
            keyName: signer.keyName, keyID: signer.keyID, signature: try await signer.sign(text))
        guard signer.verifierKey.verify(signature, text: text) else {
            throw AuditLogError.signatureDoesNotVerify(keyName: signer.keyName)
        }
        let signedNote = SignedNote(text: checkpoint.text, signatures: [signature])
        let note = signedNote.serialized
        try checkWritable()
        do {
            try writeNote(Array(note.utf8), size: head.size)
            configuration.faultInjection?(.beforeLatestCopy)
            try writeLatest(note: Array(note.utf8), state: state)
        } catch {
            fail(error)
            throw error
        }
        // A crash before this leaves the mark one checkpoint behind: opening finds the log extends it.
        try configuration.headMarks?.store(signedNote, for: verifierKey)
        knownMark = head
        configuration.faultInjection?(.beforeAnchorUpdate)
        try await configuration.anchorStore?.store(head)
        signedHead = head
        lastCheckpointAt = .now
        return CheckpointReceipt(size: head.size, rootHash: head.rootHash, note: note)
    }

    /// Refuses a tree that does not extend the head mark: smaller than it, or with another root at
    /// its size.
    func requireConsistent(with mark: LogHeadMark) throws {
        guard mark.head != knownMark else { return }
        guard mark.head.size <= range.size else {
            throw AuditLogError.rolledBack(markPath: mark.path, markSize: mark.head.size, logSize: range.size)
        }
        let root: MerkleHash?
        if mark.head.size == range.size {
            root = range.root
        } else if mark.head.size == signedHead.size {
            root = signedHead.rootHash
        } else {
            root = try prefixRoot(size: mark.head.size)
        }
        guard root == mark.head.rootHash else {
            throw AuditLogError.forkedFromHeadMark(markPath: mark.path, size: mark.head.size)
        }
        knownMark = mark.head
    }

    /// `MTH` of the first `size` entries, re-read from `entries.jsonl` (only when the mark moved
    /// behind this writer's back or lags its latest checkpoint); `nil` if there are fewer.
    private func prefixRoot(size: UInt64) throws -> MerkleHash? {
        var prefix = CompactRange()
        var reader = try LineReader(path: directory.entries)
        while prefix.size < size, let line = try reader.next() {
            switch line {
            case .complete(let bytes): prefix.append(TreeHasher.leafHash(bytes))
            case .overlong(_, let leafHash): prefix.append(leafHash)
            case .unterminated: return nil
            }
        }
        return prefix.size == size ? prefix.root : nil
    }

    /// `checkpoints/<size>.note`: temp file, `fsync`, `rename`, `fsync(checkpoints/)`.
    private func writeNote(_ note: [UInt8], size: UInt64) throws {
        let path = directory.checkpointNote(size: size)
        let temporary = try PosixFile.writeSyncedTemporary(for: path, bytes: note)
        configuration.faultInjection?(.beforeNoteRename)
        try PosixFile.rename(temporary, to: path)
        configuration.faultInjection?(.beforeNoteDirectorySync)
        try PosixFile.syncDirectory(directory.checkpoints)
    }

    /// `checkpoint` and `state`: each through a synced temp file, renamed, then one directory `fsync`.
    func writeLatest(note: [UInt8], state: LogState) throws {
        for (path, bytes) in [(directory.latestCheckpoint, note), (directory.state, state.serialized)] {
            try PosixFile.rename(try PosixFile.writeSyncedTemporary(for: path, bytes: bytes), to: path)
        }
        try PosixFile.syncDirectory(directory.path)
    }

    private func acquireCheckpoint() async {
        if checkpointBusy {
            await withCheckedContinuation { checkpointWaiters.append($0) }
        }
        checkpointBusy = true
    }

    private func releaseCheckpoint() {
        if checkpointWaiters.isEmpty {
            checkpointBusy = false
        } else {
            checkpointWaiters.removeFirst().resume()  // hands the turn over; `checkpointBusy` stays set
        }
    }

    func checkpointIfDue() async throws {
        guard case .bulk(let entries, let interval) = configuration.checkpointPolicy else { return }
        let unsigned = range.size - signedHead.size
        guard unsigned > 0, unsigned >= UInt64(entries) || ContinuousClock.now - lastCheckpointAt >= interval else {
            return
        }
        guard !checkpointBusy else { return }
        try await checkpoint()
    }

    /// Starts the bulk timer (a checkpoint at most `interval` after an unsigned entry).
    func startBulkTimer() {
        guard case .bulk(_, let interval) = configuration.checkpointPolicy else { return }
        bulkTimer = Task { [weak self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                guard let self else { return }
                try? await self.checkpointIfDue()
            }
        }
    }

    // MARK: Closing

    /// Signs unsigned entries (bulk mode) and releases the lock. Calls
    /// after this throw ``AuditLogError/closed``.
    public func close() async throws {
        guard !isClosed else { return }
        bulkTimer?.cancel()
        bulkTimer = nil
        defer {
            isClosed = true
            if entriesFD >= 0 { PosixFile.close(entriesFD) }
            if lockFD >= 0 { PosixFile.close(lockFD) }
            entriesFD = -1
            lockFD = -1
        }
        if case .bulk = configuration.checkpointPolicy, failure == nil, range.size > signedHead.size {
            try await checkpoint()
        }
    }
}
