import Foundation
import Glibc
import HSMSyncModel

/// This host's high-water marks: for each log it signs, the last checkpoint it signed, kept
/// outside the log directory so that a directory swapped back to an older copy cannot be signed
/// on from (AUDIT-LOG.md §4: a log never signs a checkpoint inconsistent with one it signed).
///
/// One file per log key, `<directory>/<hex SHA-256 of the vkey>.note`, holding that checkpoint as
/// the signed note itself: it is verified with the log key whenever it is read, and an auditor can
/// hand it to `log verify --trusted-checkpoint`. The file is keyed by the whole vkey, not the
/// origin alone, because the log *is* its key: another key under a reused origin is another log
/// and must not inherit (or clobber) this one's mark.
public struct LogHeadMarks: Sendable, Hashable {
    /// Overrides ``defaultDirectory`` (tests give every process its own).
    public static let environmentVariable = "HSMSYNC_LOG_HEADS_DIR"
    /// The per-host state directory.
    public static let defaultDirectory = "/var/lib/hsmsync/log-heads"

    /// The directory holding the marks.
    public let directory: String

    public init(directory: String) {
        var directory = directory
        while directory.count > 1 && directory.hasSuffix("/") { directory.removeLast() }
        self.directory = directory
    }

    /// `$HSMSYNC_LOG_HEADS_DIR`, else ``defaultDirectory``: what hsmsync's commands use.
    public static var host: LogHeadMarks {
        let configured = ProcessInfo.processInfo.environment[environmentVariable] ?? ""
        return LogHeadMarks(directory: configured.isEmpty ? defaultDirectory : configured)
    }

    /// The mark file of the log signed by `key`.
    public func path(for key: VerifierKey) -> String {
        directory + "/" + Hex.encode(AuditDigest.sha256(of: Array(key.description.utf8)).bytes) + ".note"
    }

    /// Reads and verifies the mark of `key`'s log.
    /// - Returns: `nil` when this host has no mark for it (never signed it, or the mark was removed).
    /// - Throws: ``AuditLogError/headMarkUnusable(path:reason:)`` for a mark that is not a checkpoint
    ///   of this log validly signed by its key — an edited mark must not silently lower the bar.
    func load(for key: VerifierKey) throws -> LogHeadMark? {
        let path = path(for: key)
        guard PosixFile.exists(path) else { return nil }
        let bytes = try PosixFile.readAll(path, limit: 64 * 1024)
        let checkpoint: Checkpoint
        let note: SignedNote
        do {
            note = try SignedNote(parsing: bytes)
            checkpoint = try Checkpoint(text: note.text)
        } catch {
            throw AuditLogError.headMarkUnusable(path: path, reason: error.reason)
        }
        let text = note.textBytes
        guard note.signatures.contains(where: { key.matches($0) && key.verify($0, text: text) }) else {
            throw AuditLogError.headMarkUnusable(path: path, reason: "it carries no valid signature of the log key")
        }
        guard checkpoint.origin == key.name else {
            throw AuditLogError.headMarkUnusable(path: path, reason: "it names the origin \(checkpoint.origin)")
        }
        return LogHeadMark(path: path, head: TreeHead(size: checkpoint.size, rootHash: checkpoint.rootHash))
    }

    /// Records `note` (a checkpoint just signed) as the mark: temp file, `fsync`, `rename`,
    /// directory `fsync`, so a crash leaves the old mark or the new one, never neither.
    func store(_ note: SignedNote, for key: VerifierKey) throws(LogIOError) {
        try Self.makeDirectories(directory)
        try PosixFile.replaceAtomically(path(for: key), with: Array(note.serialized.utf8), mode: 0o644)
    }

    /// Takes the mark's `flock` (`<mark>.lock`), waiting up to ten seconds: between reading the
    /// mark and storing the next one, no other copy of the same log may sign, or two directories
    /// holding one log could each sign a different checkpoint of one size.
    /// - Returns: the descriptor; closing it releases the lock.
    func lock(for key: VerifierKey) throws -> Int32 {
        try Self.makeDirectories(directory)
        let path = path(for: key) + ".lock"
        let fd = try PosixFile.open(path, O_RDWR | O_CREAT, mode: 0o644)
        let deadline = ContinuousClock.now + .seconds(10)
        while try !PosixFile.tryLock(fd, path: path) {
            guard ContinuousClock.now < deadline else {
                PosixFile.close(fd)
                throw AuditLogError.locked(path: path)
            }
            usleep(10_000)
        }
        return fd
    }

    /// `mkdir -p`, syncing each parent it adds a name to.
    private static func makeDirectories(_ path: String) throws(LogIOError) {
        guard !PosixFile.exists(path) else { return }
        let parent = PosixFile.parent(of: path)
        if parent != path { try makeDirectories(parent) }
        try PosixFile.makeDirectory(path, mode: 0o755, mayExist: true)
        try PosixFile.syncDirectory(parent)
    }
}

/// A verified mark: the last checkpoint this host signed (or adopted) for one log.
struct LogHeadMark: Hashable {
    let path: String
    let head: TreeHead
}

/// The mark a writer recorded on first use for a log that had none on this host.
public struct LogHeadAdoption: Hashable, Sendable {
    /// The mark file written.
    public let path: String
    /// The size of the checkpoint adopted.
    public let size: UInt64
}
