import Glibc
import HSMSyncModel
public import SignedLog

/// Files the tool writes for operators (reports, metrics, transcripts, ceremony state), written so
/// that readers and crashes see the old content or the new, never half of it.
public enum DurableFile {
    /// Replaces `path`: a temporary file beside it (named per process, and not ending in the
    /// target's extension, so a node_exporter textfile collector never reads it), `fsync`,
    /// `rename`, `fsync` of the directory.
    public static func replace(_ path: String, with bytes: [UInt8], mode: UInt32 = 0o644) throws(LogIOError) {
        let temporary = "\(PosixFile.parent(of: path))/.\(fileName(of: path)).\(getpid()).tmp"
        let fd = try PosixFile.open(temporary, O_WRONLY | O_CREAT | O_EXCL, mode: mode_t(mode))
        do {
            try PosixFile.writeAll(fd, bytes, path: temporary)
            try PosixFile.sync(fd, path: temporary)
        } catch {
            PosixFile.close(fd)
            PosixFile.remove(temporary)
            throw error
        }
        PosixFile.close(fd)
        do {
            try PosixFile.rename(temporary, to: path)
        } catch {
            PosixFile.remove(temporary)
            throw error
        }
        try PosixFile.syncDirectory(PosixFile.parent(of: path))
    }

    /// Creates `path`, never overwriting an existing file (`O_EXCL`), durably.
    public static func create(_ path: String, with bytes: [UInt8], mode: UInt32 = 0o644) throws(LogIOError) {
        var failure: LogIOError?
        bytes.withUnsafeBytes { buffer in
            do throws(LogIOError) {
                try PosixFile.createExclusively(path, with: buffer, mode: mode_t(mode))
            } catch {
                failure = error
            }
        }
        if let failure { throw failure }
    }

    private static func fileName(of path: String) -> String {
        path.split(separator: "/", omittingEmptySubsequences: false).last.map(String.init) ?? path
    }
}
