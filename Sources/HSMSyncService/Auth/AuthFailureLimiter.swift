import Foundation
import Synchronization

/// Slows down token guessing: a client address with too many failed authentications in a window
/// gets `429` until the window has passed. Successful requests are never limited.
final class AuthFailureLimiter: Sendable {
    private let state = Mutex<[String: (windowStart: Date, failures: Int)]>([:])
    let maximumFailures: Int
    let window: TimeInterval

    init(maximumFailures: Int = 20, window: TimeInterval = 60) {
        self.maximumFailures = maximumFailures
        self.window = window
    }

    /// Whether `client` has used up its failures.
    func isLimited(_ client: String, now: Date = Date()) -> Bool {
        state.withLock { clients in
            guard let entry = clients[client] else { return false }
            if now.timeIntervalSince(entry.windowStart) > window {
                clients[client] = nil
                return false
            }
            return entry.failures >= maximumFailures
        }
    }

    func recordFailure(_ client: String, now: Date = Date()) {
        state.withLock { clients in
            if clients.count > 10_000 {
                clients = clients.filter { now.timeIntervalSince($0.value.windowStart) <= window }
            }
            var entry = clients[client] ?? (now, 0)
            if now.timeIntervalSince(entry.windowStart) > window { entry = (now, 0) }
            entry.failures += 1
            clients[client] = entry
        }
    }
}
