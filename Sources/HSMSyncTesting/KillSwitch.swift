import Foundation
import Glibc

/// Kills a child process the moment a condition on the file system holds, watched from a thread of
/// its own: a test's task on the cooperative pool can wait seconds for a turn while other tests
/// block its threads in PKCS#11 calls, and a kill meant for the middle of a run then lands after it.
public enum KillSwitch {
    /// Polls `condition` every 200 µs on a dedicated thread; sends `signal` (default SIGKILL) to
    /// `pid` as soon as it holds, or gives up after `timeout` (or when the process has gone).
    ///
    /// - Returns: whether the signal was sent because the condition held.
    public static func kill(
        _ pid: Int32, signal: Int32 = 9, timeout: Duration = .seconds(120),
        when condition: @escaping @Sendable () -> Bool
    ) async -> Bool {
        await withCheckedContinuation { continuation in
            let thread = Thread {
                let deadline = ContinuousClock.now + timeout
                while ContinuousClock.now < deadline {
                    if condition() {
                        Glibc.kill(pid, signal)
                        continuation.resume(returning: true)
                        return
                    }
                    // The process has exited (a zombie still answers signal 0, and is not running).
                    if Glibc.kill(pid, 0) != 0 || isZombie(pid) { break }
                    usleep(200)
                }
                continuation.resume(returning: false)
            }
            thread.start()
        }
    }

    /// Whether `path` exists and is not empty.
    public static func nonEmpty(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && info.st_size > 0
    }

    private static func isZombie(_ pid: Int32) -> Bool {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = status.lastIndex(of: ")")
        else { return true }
        return status[status.index(after: close)...].trimmingCharacters(in: .whitespaces).hasPrefix("Z")
    }
}
