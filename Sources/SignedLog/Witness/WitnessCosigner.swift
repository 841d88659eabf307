public import Foundation
import Glibc
import HSMSyncModel

/// `hsmsync log cosign`: a witness checks that the log's latest checkpoint consistently extends
/// the last one it cosigned, records the new one, then adds its v1 cosignature.
///
/// The witness's state is the checkpoint note it last cosigned (so it also serves as a trusted
/// checkpoint for `log verify`), stored per log and replaced atomically *before* the cosignature
/// is published; the log's vkey is pinned next to it (`<state>.vkey`) at first use. A rollback
/// (smaller size), a fork (same size, other root) or an inconsistent extension — checked with an
/// RFC 9162 consistency proof computed from `entries.jsonl` — is refused.
public struct WitnessCosigner: Sendable {
    /// What was cosigned.
    public struct Outcome: Hashable, Sendable {
        public let origin: String
        public let size: UInt64
        public let rootHash: MerkleHash
        public let timestamp: UInt64
        /// The size the witness had cosigned before (0 at first use).
        public let previousSize: UInt64
        /// The cosignature line added to the checkpoint.
        public let line: String
    }

    public let directory: LogDirectory
    /// The witness's state file for this log.
    public let statePath: String
    /// A log vkey given by the operator; otherwise the pinned one, or `log.vkey` at first use.
    public let logKey: VerifierKey?

    public init(directory: LogDirectory, statePath: String, logKey: VerifierKey? = nil) {
        self.directory = directory
        self.statePath = statePath
        self.logKey = logKey
    }

    /// The default state file: beside the witness key, one per log origin.
    public static func defaultStatePath(keyPath: String, origin: String) -> String {
        let digest = AuditDigest.sha256(of: Array(origin.utf8)).bytes.prefix(8)
        return keyPath + ".state-" + Hex.encode(digest)
    }

    /// Checks and cosigns.
    public func cosign(with key: borrowing NotePrivateKey, keyPath: String, now: Date = Date()) throws -> Outcome {
        guard key.type == .cosignatureV1 else { throw WitnessError.notAWitnessKey(path: keyPath) }
        let pinnedPath = statePath + ".vkey"
        let pinned = PosixFile.exists(pinnedPath) ? try LogVerifier.readVerifierKey(at: pinnedPath) : nil
        let offeredKey = try logKey ?? LogVerifier.readVerifierKey(at: directory.vkey)
        if let pinned, pinned != offeredKey {
            throw WitnessError.logKeyChanged(pinned: pinned.description, offered: offeredKey.description)
        }
        let logKey = pinned ?? offeredKey

        let note = try SignedNote(parsing: PosixFile.readAll(directory.latestCheckpoint))
        let checkpoint = try Checkpoint(text: note.text)
        try Self.checkLogSignature(note, key: logKey)
        guard checkpoint.origin == logKey.name else {
            throw WitnessError.badLogSignature(reason: "names origin \(checkpoint.origin), not \(logKey.name)")
        }

        var previous: (checkpoint: Checkpoint, timestamp: UInt64)?
        if PosixFile.exists(statePath) {
            let stateNote = try SignedNote(parsing: PosixFile.readAll(statePath))
            let stateCheckpoint = try Checkpoint(text: stateNote.text)
            let mine = stateNote.signatures.filter { key.verifierKey.matches($0) }.compactMap(Cosignature.init)
            previous = (stateCheckpoint, mine.map(\.timestamp).max() ?? 0)
        }
        let old = previous?.checkpoint
        if let old {
            guard old.origin == checkpoint.origin else {
                throw WitnessError.badLogSignature(
                    reason: "names origin \(checkpoint.origin); the state is for \(old.origin)")
            }
            if checkpoint.size < old.size {
                throw WitnessError.rollback(origin: old.origin, cosigned: old.size, offered: checkpoint.size)
            }
            if checkpoint.size == old.size && checkpoint.rootHash != old.rootHash {
                throw WitnessError.fork(
                    origin: old.origin, size: old.size, cosigned: old.rootHash.base64,
                    offered: checkpoint.rootHash.base64)
            }
        }
        try checkConsistency(
            from: old ?? Checkpoint(origin: checkpoint.origin, size: 0, rootHash: TreeHasher.emptyRoot),
            to: checkpoint)

        let timestamp = max(UInt64(max(0, now.timeIntervalSince1970.rounded(.down))), previous?.timestamp ?? 0)
        let cosignature = try key.noteSignature(over: note.textBytes, now: timestamp)
        let logSignatures = note.signatures.filter { logKey.matches($0) }

        // Record first, publish second: a crash in between leaves a witness that will not cosign
        // anything inconsistent with what it may already have published.
        if pinned == nil {
            try Array((logKey.description + "\n").utf8).withBytes { (bytes) throws(LogIOError) in
                PosixFile.remove(pinnedPath)
                try PosixFile.createExclusively(pinnedPath, with: bytes, mode: 0o600)
            }
        }
        let state = SignedNote(text: note.text, signatures: logSignatures + [cosignature])
        try PosixFile.replaceAtomically(statePath, with: Array(state.serialized.utf8), mode: 0o600)
        try publish(cosignature, on: checkpoint, key: key.verifierKey)
        return Outcome(
            origin: checkpoint.origin, size: checkpoint.size, rootHash: checkpoint.rootHash, timestamp: timestamp,
            previousSize: old?.size ?? 0, line: cosignature.line)
    }

    private static func checkLogSignature(_ note: SignedNote, key: VerifierKey) throws {
        let known = note.signatures.filter { key.matches($0) }
        guard !known.isEmpty else { throw WitnessError.badLogSignature(reason: "has no signature by the log key") }
        guard known.allSatisfy({ key.verify($0, text: note.textBytes) }) else {
            throw WitnessError.badLogSignature(reason: "has a log signature that does not verify")
        }
    }

    /// Computes the consistency proof from the entries and verifies it against both roots.
    private func checkConsistency(from old: Checkpoint, to new: Checkpoint) throws {
        guard new.size > old.size else { return }
        var collector = SubtreeCollector(ranges: MerkleProof.consistencyRanges(from: old.size, to: new.size))
        var reader = try LineReader(path: directory.entries)
        var index: UInt64 = 0
        while index < new.size, let line = try reader.next() {
            switch line {
            case .complete(let bytes): collector.add(TreeHasher.leafHash(bytes), at: index)
            case .overlong(_, let leafHash): collector.add(leafHash, at: index)
            case .unterminated: break
            }
            index += 1
        }
        guard index == new.size, collector.isComplete else {
            throw WitnessError.inconsistent(
                origin: new.origin, from: old.size, to: new.size, reason: "entries.jsonl holds only \(index) entries")
        }
        guard
            MerkleProof.verifyConsistency(
                oldSize: old.size, newSize: new.size, oldRoot: old.rootHash, newRoot: new.rootHash,
                proof: collector.hashes)
        else {
            throw WitnessError.inconsistent(
                origin: new.origin, from: old.size, to: new.size, reason: "the consistency proof does not verify")
        }
    }

    /// Adds the cosignature to `checkpoints/<size>.note` and, if it still holds this checkpoint,
    /// to `checkpoint`, under the log's lock, replacing an earlier line of the same witness key.
    private func publish(_ cosignature: NoteSignature, on checkpoint: Checkpoint, key: VerifierKey) throws {
        let lockFD = try PosixFile.open(directory.lock, O_RDWR | O_CREAT, mode: 0o644)
        defer { PosixFile.close(lockFD) }
        guard try PosixFile.tryLock(lockFD, path: directory.lock) else {
            throw WitnessError.logBusy(path: directory.lock)
        }
        for path in [directory.checkpointNote(size: checkpoint.size), directory.latestCheckpoint] {
            guard let bytes = try? PosixFile.readAll(path), var note = try? SignedNote(parsing: bytes),
                note.text == checkpoint.text
            else { continue }
            note.signatures.removeAll { key.matches($0) }
            guard note.signatures.count < SignedNote.maximumWrittenSignatureCount else {
                throw WitnessError.tooManySignatures(size: checkpoint.size)
            }
            note.signatures.append(cosignature)
            try PosixFile.replaceAtomically(path, with: Array(note.serialized.utf8))
        }
    }
}
