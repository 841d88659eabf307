import Crypto
import Foundation
import Glibc
public import HSMSyncModel
public import PKCS11
import SecureMemory
import SignedLog
import Synchronization

/// The per-host lock on one token, held by every hsmsync process that opens it read-write
/// (SECURITY.md R23, T22): `flock(2)` on a file in a system-wide directory, named after the token
/// itself (manufacturer, model and serial), not after the fleet file that names it.
///
/// The fleet lock (``ReconcileLock``) lives in one fleet file's state directory, so two fleet files
/// naming the same tokens never met; this one is met by every fleet file, every command and every
/// module path that reaches the token on this host (a token behind a p11-kit server answers with the
/// same serial). The kernel releases it when the process dies, SIGKILL included.
///
/// Inside one process the lock is shared: a ceremony's workers and the trail's log-key worker may
/// open the same token at once, and a second `flock` on a new descriptor would refuse the process
/// its own lock.
public final class TokenLock: Sendable {
    /// The lock file.
    public let path: String
    private let key: String

    private struct Held {
        var descriptor: Int32
        var users: Int
    }

    private static let held = Mutex<[String: Held]>([:])

    /// Where the lock files live: `HSMSYNC_LOCK_DIR`, else `/run/lock/hsmsync` (cleared at boot,
    /// which a lock that the kernel releases at process exit never needs to survive).
    public static var directory: String {
        ProcessInfo.processInfo.environment["HSMSYNC_LOCK_DIR"].flatMap { $0.isEmpty ? nil : $0 }
            ?? "/run/lock/hsmsync"
    }

    /// Takes the lock on `token` without waiting.
    ///
    /// - Parameters:
    ///   - hsm: the HSM's fleet name (for the holder line another process prints).
    ///   - purpose: what this process does (`reconcile --apply`, `backup restore`).
    /// - Throws: ``HSMError/Kind/tokenLocked(holder:path:)`` when another process holds it,
    ///   ``HSMError/Kind/tokenLockUnavailable(path:reason:)`` when the lock file cannot be used.
    public static func acquire(_ token: TokenInfo, hsm: String, purpose: String) throws(HSMError) -> TokenLock {
        let directory = Self.directory
        let path = Self.path(for: token)
        let result = held.withLock { (held: inout [String: Held]) -> Result<Void, HSMError> in
            if held[path] != nil {
                held[path]!.users += 1
                return .success(())
            }
            do throws(HSMError) {
                held[path] = Held(descriptor: try lockFile(path, directory: directory, hsm: hsm), users: 1)
            } catch {
                return .failure(error)
            }
            let line = "pid \(getpid()): hsmsync \(purpose) (HSM \(hsm), token \"\(token.label)\")\n"
            let bytes = Array(line.utf8)
            if let descriptor = held[path]?.descriptor {
                _ = ftruncate(descriptor, 0)
                _ = bytes.withUnsafeBytes { pwrite(descriptor, $0.baseAddress, $0.count, 0) }
            }
            return .success(())
        }
        if case .failure(let error) = result { throw error }
        return TokenLock(path: path)
    }

    /// The lock file of `token` on this host.
    public static func path(for token: TokenInfo) -> String {
        // The label too: NSS softoken gives every token serial 0000000000000000, opencryptoki 123.
        let identity = "\(token.manufacturer)\u{0}\(token.model)\u{0}\(token.serialNumber)\u{0}\(token.label)"
        let digest = Array(Array(SHA256.hash(data: Array(identity.utf8))).prefix(12)).hexString
        return "\(directory)/token-\(digest).lock"
    }

    private init(path: String) {
        self.path = path
        self.key = path
    }

    deinit {
        let key = key
        Self.held.withLock { (held: inout [String: Held]) in
            guard var entry = held[key] else { return }
            entry.users -= 1
            if entry.users > 0 {
                held[key] = entry
            } else {
                held[key] = nil
                PosixFile.close(entry.descriptor)  // releases the flock
            }
        }
    }

    private static func lockFile(_ path: String, directory: String, hsm: String) throws(HSMError) -> Int32 {
        // World-writable and sticky like /run/lock itself: operators and service users share it.
        if !PosixFile.exists(directory) {
            if mkdir(directory, 0o1777) == 0 {
                _ = chmod(directory, 0o1777)
            } else if errno != EEXIST {
                let reason = String(cString: strerror(errno))
                throw HSMError(hsm: hsm, .tokenLockUnavailable(path: directory, reason: reason))
            }
        }
        let descriptor: Int32
        do {
            descriptor = try PosixFile.open(path, O_RDWR | O_CREAT, mode: 0o644)
        } catch {
            throw HSMError(hsm: hsm, .tokenLockUnavailable(path: path, reason: error.description))
        }
        let locked: Bool
        do {
            locked = try PosixFile.tryLock(descriptor, path: path)
        } catch {
            PosixFile.close(descriptor)
            throw HSMError(hsm: hsm, .tokenLockUnavailable(path: path, reason: error.description))
        }
        guard locked else {
            var buffer = [UInt8](repeating: 0, count: 256)
            let count = pread(descriptor, &buffer, buffer.count, 0)
            let holder = count > 0 ? String(decoding: buffer.prefix(count), as: UTF8.self) : "another process"
            PosixFile.close(descriptor)
            throw HSMError(
                hsm: hsm, .tokenLocked(holder: holder.trimmingCharacters(in: .whitespacesAndNewlines), path: path))
        }
        return descriptor
    }

    /// The words of the running command before its first option (`reconcile`, `backup restore`):
    /// never a PIN or a path given as an option's value.
    public static var currentCommand: String {
        let words = CommandLine.arguments.dropFirst().prefix { !$0.hasPrefix("-") }.prefix(2)
        return words.isEmpty ? "(library)" : words.joined(separator: " ")
    }
}
