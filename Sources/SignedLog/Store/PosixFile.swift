package import Glibc
import HSMSyncModel
import SystemPackage

/// Thin, checked wrappers over the POSIX calls the log's crash-safety protocol is made of
/// (AUDIT-LOG.md §5): `O_APPEND` writes, `fdatasync`, temp file + `fsync` + `rename` + directory
/// `fsync`, `flock`, `ftruncate`. Every failure becomes a ``LogIOError`` naming the C call.
///
/// Descriptors stay `Int32` for the callers; the calls go through swift-system's `FileDescriptor`
/// where it has them (`open`, `close`, `read`, `pread`, `write`, `ftruncate`, `fstat`, `lstat`).
/// swift-system 1.8 has no `fsync`, `fdatasync`, `flock`, `rename`, `mkdir`, `unlink`, `statvfs`
/// or directory listing: those stay Glibc calls.
package enum PosixFile {
    /// Opens `path` (close-on-exec), retrying on `EINTR`.
    package static func open(_ path: String, _ flags: Int32, mode: mode_t = 0o644) throws(LogIOError) -> Int32 {
        try call("open", path) {
            try FileDescriptor.open(
                FilePath(path), FileDescriptor.AccessMode(rawValue: flags & O_ACCMODE),
                options: FileDescriptor.OpenOptions(rawValue: flags & ~O_ACCMODE).union(.closeOnExec),
                permissions: FilePermissions(rawValue: mode)
            ).rawValue
        }
    }

    /// Closes `fd`, ignoring errors (used on paths that already failed or only read).
    package static func close(_ fd: Int32) {
        try? FileDescriptor(rawValue: fd).close()
    }

    /// Writes all of `bytes` at the file offset (for `O_APPEND`: at the end), continuing after
    /// short writes and `EINTR`.
    package static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, path: String) throws(LogIOError) {
        _ = try call("write", path) { try FileDescriptor(rawValue: fd).writeAll(bytes) }
    }

    /// Writes all of `bytes`.
    package static func writeAll(_ fd: Int32, _ bytes: [UInt8], path: String) throws(LogIOError) {
        try bytes.withBytes { (buffer) throws(LogIOError) in try writeAll(fd, buffer, path: path) }
    }

    /// `fdatasync`: the written data (and the size) is durable once this returns.
    package static func dataSync(_ fd: Int32, path: String) throws(LogIOError) {
        if Glibc.fdatasync(fd) != 0 { throw LogIOError("fdatasync", path: path) }
    }

    /// `fsync`.
    package static func sync(_ fd: Int32, path: String) throws(LogIOError) {
        if Glibc.fsync(fd) != 0 { throw LogIOError("fsync", path: path) }
    }

    /// `fsync` on a directory, making renames and new names in it durable.
    package static func syncDirectory(_ path: String) throws(LogIOError) {
        let fd = try open(path, O_RDONLY | O_DIRECTORY)
        defer { close(fd) }
        try sync(fd, path: path)
    }

    /// Reads a whole file.
    package static func readAll(_ path: String, limit: Int = 1 << 20) throws(LogIOError) -> [UInt8] {
        let fd = try open(path, O_RDONLY)
        defer { close(fd) }
        var result: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = try call("read", path) {
                try chunk.withUnsafeMutableBytes { try FileDescriptor(rawValue: fd).read(into: $0) }
            }
            if count == 0 { return result }
            result.append(contentsOf: chunk[0..<count])
            if result.count > limit { throw LogIOError("read", path: path, code: EFBIG) }
        }
    }

    /// Reads up to `count` bytes at `offset`.
    package static func read(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer, at offset: Int64, path: String)
        throws(LogIOError) -> Int
    {
        var done = 0
        while done < buffer.count {
            let count = try call("pread", path) {
                try FileDescriptor(rawValue: fd).read(
                    fromAbsoluteOffset: offset + Int64(done),
                    into: UnsafeMutableRawBufferPointer(rebasing: buffer[done...]))
            }
            if count == 0 { break }
            done += count
        }
        return done
    }

    /// Replaces `path` atomically and durably: write `path.tmp`, `fsync`, `rename`, `fsync` the
    /// directory. A crash leaves either the old or the new file (and maybe a stale `.tmp`).
    package static func replaceAtomically(_ path: String, with bytes: [UInt8], mode: mode_t = 0o644) throws(LogIOError)
    {
        try rename(try writeSyncedTemporary(for: path, bytes: bytes, mode: mode), to: path)
        try syncDirectory(parent(of: path))
    }

    /// Writes `bytes` to `path.tmp` and `fsync`s it (the first half of an atomic replacement).
    /// - Returns: the temporary path.
    package static func writeSyncedTemporary(for path: String, bytes: [UInt8], mode: mode_t = 0o644) throws(LogIOError)
        -> String
    {
        let temporary = path + ".tmp"
        let fd = try open(temporary, O_WRONLY | O_CREAT | O_TRUNC, mode: mode)
        defer { close(fd) }
        try writeAll(fd, bytes, path: temporary)
        try sync(fd, path: temporary)
        return temporary
    }

    /// `rename(2)`.
    package static func rename(_ source: String, to target: String) throws(LogIOError) {
        if Glibc.rename(source, target) != 0 { throw LogIOError("rename", path: source) }
    }

    /// Creates `path` exclusively (never overwriting) with `bytes`, durably.
    package static func createExclusively(_ path: String, with bytes: UnsafeRawBufferPointer, mode: mode_t)
        throws(LogIOError)
    {
        let fd = try open(path, O_WRONLY | O_CREAT | O_EXCL, mode: mode)
        do {
            try writeAll(fd, bytes, path: path)
            try sync(fd, path: path)
        } catch {
            close(fd)
            _ = Glibc.unlink(path)
            throw error
        }
        close(fd)
        try syncDirectory(parent(of: path))
    }

    /// Creates a directory (mode 0755 unless given); an existing one is fine when `mayExist`.
    package static func makeDirectory(_ path: String, mode: mode_t = 0o755, mayExist: Bool) throws(LogIOError) {
        if Glibc.mkdir(path, mode) != 0 {
            if errno == EEXIST && mayExist { return }
            throw LogIOError("mkdir", path: path)
        }
    }

    /// The size of an open file.
    package static func size(_ fd: Int32, path: String) throws(LogIOError) -> Int64 {
        try call("fstat", path) { try FileDescriptor(rawValue: fd).stat().size }
    }

    /// The permission bits of `path`.
    package static func mode(_ fd: Int32, path: String) throws(LogIOError) -> mode_t {
        try call("fstat", path) { try FileDescriptor(rawValue: fd).stat().permissions.rawValue }
    }

    /// Whether something exists at `path` (a dangling symbolic link does).
    package static func exists(_ path: String) -> Bool {
        (try? FilePath(path).stat(followTargetSymlink: false)) != nil
    }

    /// The names in a directory (without `.` and `..`).
    package static func list(_ path: String) throws(LogIOError) -> [String] {
        guard let directory = opendir(path) else { throw LogIOError("opendir", path: path) }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(cString: raw.baseAddress!.assumingMemoryBound(to: CChar.self))
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// Takes an exclusive `flock` without waiting.
    /// - Returns: `false` when another process holds it.
    package static func tryLock(_ fd: Int32, path: String) throws(LogIOError) -> Bool {
        while true {
            if flock(fd, LOCK_EX | LOCK_NB) == 0 { return true }
            if errno == EINTR { continue }
            if errno == EWOULDBLOCK { return false }
            throw LogIOError("flock", path: path)
        }
    }

    /// Cuts a file to `length` bytes.
    package static func truncate(_ fd: Int32, to length: Int64, path: String) throws(LogIOError) {
        try call("ftruncate", path) { try FileDescriptor(rawValue: fd).resize(to: length) }
    }

    /// The bytes available to unprivileged writers on the file system holding `path`.
    package static func availableBytes(_ path: String) throws(LogIOError) -> UInt64 {
        var info = statvfs()
        if statvfs(path, &info) != 0 { throw LogIOError("statvfs", path: path) }
        return UInt64(info.f_bavail) * UInt64(info.f_frsize)
    }

    /// Removes a file, ignoring a missing one.
    package static func remove(_ path: String) {
        _ = Glibc.unlink(path)
    }

    /// The directory part of `path`.
    package static func parent(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    /// Runs swift-system calls, reporting their `Errno` as a failure of `operation` on `path`.
    private static func call<T>(_ operation: String, _ path: String, _ body: () throws -> T) throws(LogIOError) -> T {
        do {
            return try body()
        } catch {
            // swift-system throws nothing but `Errno`.
            throw LogIOError(operation, path: path, code: (error as? Errno)?.rawValue ?? EIO)
        }
    }
}
