import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The lock that keeps two `hsmsync reconcile --apply` runs of one fleet apart (SECURITY.md R23,
/// T22): `flock(2)` on `reconcile.lock` in the fleet's state directory, taken without waiting. The
/// kernel releases it when the process dies, SIGKILL included, so a crash never leaves it stuck.
public final class ReconcileLock {
    private let fd: Int32
    public let path: String

    /// Creates the state directory (mode 0700) when needed and takes the lock.
    ///
    /// - Throws: ``ReconcileError/locked(path:holder:)`` when another process holds it.
    public init(directory: String) throws(ReconcileError) {
        do {
            try FileManager.default.createDirectory(
                atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw .state("cannot create the state directory \(directory): \(error.localizedDescription)")
        }
        path = directory + "/reconcile.lock"
        fd = Glibc.open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw .state("cannot open \(path): \(String(cString: strerror(errno)))") }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            var buffer = [UInt8](repeating: 0, count: 32)
            let count = pread(fd, &buffer, buffer.count, 0)
            let holder = count > 0 ? String(decoding: buffer.prefix(count), as: UTF8.self) : "?"
            Glibc.close(fd)
            throw .locked(path: path, holder: holder.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        // Record the holder's PID for the message another run prints (informational only).
        let pid = Array("\(getpid())\n".utf8)
        _ = ftruncate(fd, 0)
        _ = pid.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
    }

    deinit {
        Glibc.close(fd)  // releases the flock
    }
}

/// Why `hsmsync reconcile` could not run at all.
public enum ReconcileError: CategorizedError, Sendable, Hashable {
    /// Another reconcile of the same fleet holds the lock.
    case locked(path: String, holder: String)
    /// The state directory or journal could not be used.
    case state(String)

    public var category: FailureCategory { .runtime }

    public var description: String {
        switch self {
        case .locked(let path, let holder):
            return
                "another hsmsync reconcile of this fleet is running (process \(holder) holds \(path)); nothing was changed"
        case .state(let reason):
            return "reconcile state: \(reason); nothing was changed"
        }
    }
}
