import Logging
import ServiceLifecycle
import UnixSignals

/// SIGHUP re-reads the fleet file (and the token file): a broken one is refused and the old
/// configuration kept.
struct ReloadOnHangup: Service {
    let reload: @Sendable () async -> Void

    func run() async throws {
        let signals = await UnixSignalsSequence(trapping: .sighup)
        await cancelWhenGracefulShutdown {
            for await _ in signals {
                await reload()
            }
        }
    }
}
