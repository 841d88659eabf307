import Foundation
import Glibc
public import HSMSyncModel
import SignedLog

/// The lock that keeps two runs that install keys into one fleet's HSMs apart — `reconcile --apply`
/// and `backup restore --apply`, from the command line or a ceremony step (SECURITY.md R23, T22) —
/// so neither plans against a token the other is changing and both install the same key:
/// `flock(2)` on `reconcile.lock` in the fleet's state directory, taken without waiting. The
/// kernel releases it when the process dies, SIGKILL included, so a crash never leaves it stuck.
public final class ReconcileLock {
    private let fd: Int32
    public let path: String

    /// Creates the state directory (mode 0700) when needed and takes the lock.
    ///
    /// - Parameter purpose: what this run does (`reconcile`, `backup restore`), for the message
    ///   another run prints.
    /// - Throws: ``ReconcileError/locked(path:holder:)`` when another process holds it.
    public init(directory: String, purpose: String = "reconcile") throws(ReconcileError) {
        do {
            try FileManager.default.createDirectory(
                atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw .state("cannot create the state directory \(directory): \(error.localizedDescription)")
        }
        path = directory + "/reconcile.lock"
        // `fd` is set only once the lock is held: a throwing init must not leave it for deinit.
        let descriptor: Int32
        let locked: Bool
        do throws(LogIOError) {
            descriptor = try PosixFile.open(path, O_RDWR | O_CREAT, mode: 0o600)
            do {
                locked = try PosixFile.tryLock(descriptor, path: path)
            } catch {
                PosixFile.close(descriptor)
                throw error
            }
        } catch {
            throw .state(error.description)
        }
        guard locked else {
            var buffer = [UInt8](repeating: 0, count: 64)
            let count = pread(descriptor, &buffer, buffer.count, 0)
            let holder = count > 0 ? String(decoding: buffer.prefix(count), as: UTF8.self) : "?"
            PosixFile.close(descriptor)
            throw .locked(path: path, holder: holder.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        fd = descriptor
        // Record the holder for the message another run prints (informational only).
        let pid = Array("\(getpid()) (\(purpose))\n".utf8)
        _ = ftruncate(fd, 0)
        _ = pid.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
    }

    deinit {
        PosixFile.close(fd)  // releases the flock
    }
}

/// Why `hsmsync reconcile` could not run at all.
public enum ReconcileError: CategorizedError, Sendable, Hashable {
    /// Another run that installs keys into the same fleet (a reconcile, a restore) holds the lock.
    case locked(path: String, holder: String)
    /// The state directory or journal could not be used.
    case state(String)

    public var category: FailureCategory { .runtime }

    public var description: String {
        switch self {
        case .locked(let path, let holder):
            return
                "another hsmsync reconcile or restore of this fleet is running (process \(holder) holds \(path)); "
                + "nothing was changed"
        case .state(let reason):
            return "reconcile state: \(reason); nothing was changed"
        }
    }
}
