import HSMSyncModel
import SecureMemory
import SignedLog
import Synchronization

/// Serialises terminal prompts: HSMs are opened in parallel, but a human types one PIN at a time.
final class PromptLock: Sendable {
    private let mutex = Mutex(())

    init() {}

    /// Runs `body` while no other prompt is shown. Blocks the calling (worker) thread.
    func withLock<T: ~Copyable, E: Error>(_ body: () throws(E) -> T) throws(E) -> T {
        try mutex.withLock { (_) throws(E) -> T in try body() }
    }
}
