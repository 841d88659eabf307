import Glibc
import HSMSyncModel

/// Reads every checkpoint note of a log directory (`checkpoints/*.note` and `checkpoint`) and
/// sorts them into accepted checkpoints and findings (AUDIT-LOG.md §6.3–6.4).
///
/// A note is accepted when it follows the signed-note and checkpoint grammars, carries a valid
/// signature by the log key and no failing one (signatures of unknown keys are ignored), names
/// the log's origin, and — for files in `checkpoints/` — sits under its own size. Validly signed
/// notes of one size with different roots are a FORK.
struct CheckpointLoader {
    /// An accepted checkpoint; copies of one size with one root are merged.
    struct Accepted {
        var checkpoint: Checkpoint
        /// Every signature line found on any copy (log key and cosigners), without duplicates.
        var signatures: [NoteSignature]
        /// The files it was read from.
        var sources: [String]
        /// The note as found in the first file.
        var noteText: String
    }

    /// The verdict on one note.
    enum Classification {
        case accepted(Accepted)
        case rejected(VerificationFinding)
    }

    let directory: LogDirectory
    let key: VerifierKey
    let strict: Bool

    /// The writer's view when opening: the largest checkpoint, which must be valid, and
    /// `checkpoint` when it holds the same size, which must agree. Older notes are the verifier's
    /// business; checking one note keeps opening fast however long the log (G6).
    /// - Returns: the latest accepted checkpoint (`nil` for a log without any), or the finding
    ///   that makes the directory unusable for writing.
    func latest() throws(LogIOError) -> Result<Accepted?, LatestCheckpointError> {
        let names: [String]
        do {
            names = try PosixFile.list(directory.checkpoints)
        } catch  where error.code == ENOENT {
            names = []
        }
        let sizes = names.compactMap(LogDirectory.size(fromNoteName:)).sorted()
        var latest: Accepted?
        if let size = sizes.last {
            let name = "checkpoints/" + LogDirectory.noteName(size: size)
            switch classify(try PosixFile.readAll(directory.checkpointNote(size: size)), name: name, declaredSize: size)
            {
            case .accepted(let accepted): latest = accepted
            case .rejected(let finding): return .failure(LatestCheckpointError(finding: finding))
            }
        }
        if PosixFile.exists(directory.latestCheckpoint) {
            switch classify(try PosixFile.readAll(directory.latestCheckpoint), name: "checkpoint", declaredSize: nil) {
            case .accepted(let copy):
                if let latest, copy.checkpoint.size == latest.checkpoint.size,
                    copy.checkpoint.rootHash != latest.checkpoint.rootHash
                {
                    return .failure(
                        LatestCheckpointError(
                            finding: VerificationFinding(
                                .fork, checkpoint: copy.checkpoint.size,
                                message: "checkpoint and \(latest.sources[0]) have the same size and different roots",
                                notes: [latest.noteText, copy.noteText])))
                }
                if latest == nil || copy.checkpoint.size > latest!.checkpoint.size {
                    return .failure(
                        LatestCheckpointError(
                            finding: VerificationFinding(
                                .truncation, checkpoint: copy.checkpoint.size,
                                message:
                                    "checkpoint names size \(copy.checkpoint.size), beyond the notes in checkpoints/")))
                }
            case .rejected(let finding):
                return .failure(LatestCheckpointError(finding: finding))
            }
        }
        return .success(latest)
    }

    /// Loads and classifies; returns accepted checkpoints by size (forked sizes excluded) and findings.
    func load() throws(LogIOError) -> (
        accepted: [UInt64: Accepted], forked: Set<UInt64>, findings: [VerificationFinding]
    ) {
        var files: [(name: String, path: String, declaredSize: UInt64?)] = []
        let names: [String]
        do {
            names = try PosixFile.list(directory.checkpoints)
        } catch  where error.code == ENOENT {
            names = []
        }
        var findings: [VerificationFinding] = []
        for name in names.sorted() {
            guard let size = LogDirectory.size(fromNoteName: name) else {
                // A writer's temporary file is its business; anything else is not where a note belongs.
                if !name.hasSuffix(".tmp") {
                    findings.append(
                        VerificationFinding(
                            .parse, checkpoint: nil,
                            message: "checkpoints/\(name): a stray file, not a checkpoint note name (twenty digits "
                                + "of its size and .note); not read as a checkpoint"))
                }
                continue
            }
            files.append(("checkpoints/" + name, directory.checkpoints + "/" + name, size))
        }
        if PosixFile.exists(directory.latestCheckpoint) {
            files.append(("checkpoint", directory.latestCheckpoint, nil))
        }
        var bySize: [UInt64: [Accepted]] = [:]
        for file in files {
            let bytes = try PosixFile.readAll(file.path)
            switch classify(bytes, name: file.name, declaredSize: file.declaredSize) {
            case .accepted(let accepted):
                bySize[accepted.checkpoint.size, default: []].append(accepted)
            case .rejected(let finding):
                findings.append(finding)
            }
        }
        var accepted: [UInt64: Accepted] = [:]
        var forked: Set<UInt64> = []
        for (size, copies) in bySize {
            let roots = Set(copies.map(\.checkpoint.rootHash))
            if roots.count > 1 {
                forked.insert(size)
                var notes: [String] = []
                for copy in copies where !notes.contains(copy.noteText) { notes.append(copy.noteText) }
                findings.append(
                    VerificationFinding(
                        .fork, checkpoint: size,
                        message: "validly signed checkpoints of size \(size) with different roots: "
                            + copies.map { "\($0.sources[0]) \($0.checkpoint.rootHash.base64)" }.joined(separator: ", "),
                        notes: notes))
                continue
            }
            var merged = copies[0]
            for copy in copies.dropFirst() {
                merged.sources += copy.sources
                for signature in copy.signatures where !merged.signatures.contains(signature) {
                    merged.signatures.append(signature)
                }
            }
            accepted[size] = merged
        }
        return (accepted, forked, findings)
    }

    /// Classifies one note.
    func classify(_ bytes: [UInt8], name: String, declaredSize: UInt64?) -> Classification {
        let note: SignedNote
        do {
            note = try SignedNote(parsing: bytes)
        } catch {
            return .rejected(VerificationFinding(.parse, checkpoint: declaredSize, message: "\(name): \(error.reason)"))
        }
        let checkpoint: Checkpoint
        do {
            checkpoint = try Checkpoint(text: note.text)
        } catch {
            return .rejected(VerificationFinding(.parse, checkpoint: declaredSize, message: "\(name): \(error.reason)"))
        }
        let size = checkpoint.size
        let known = note.signatures.filter { key.matches($0) }
        guard !known.isEmpty else {
            return .rejected(
                VerificationFinding(
                    .noValidLogSignature, checkpoint: size,
                    message: "\(name): no signature by the log key \(key.name)+\(KeyID.hex(key.keyID)) "
                        + "(\(note.signatures.count) signature(s) by unknown keys ignored)"))
        }
        let text = note.textBytes
        if known.contains(where: { !key.verify($0, text: text) }) {
            return .rejected(
                VerificationFinding(
                    .badSignature, checkpoint: size, message: "\(name): the log key's signature does not verify"))
        }
        guard checkpoint.origin == key.name else {
            return .rejected(
                VerificationFinding(
                    .originMismatch, checkpoint: size,
                    message: "\(name): origin \"\(checkpoint.origin)\" is not the log's origin \"\(key.name)\""))
        }
        if let declaredSize, declaredSize != size {
            return .rejected(
                VerificationFinding(
                    .parse, checkpoint: declaredSize,
                    message: "\(name): the file name says \(declaredSize), the note \(size)"))
        }
        if strict && !checkpoint.extensionLines.isEmpty {
            return .rejected(
                VerificationFinding(
                    .parse, checkpoint: size, message: "\(name): extension lines (rejected under --strict)"))
        }
        return .accepted(
            Accepted(checkpoint: checkpoint, signatures: note.signatures, sources: [name], noteText: note.serialized))
    }
}

/// Why the latest checkpoint cannot be used.
struct LatestCheckpointError: Error {
    let finding: VerificationFinding
}
