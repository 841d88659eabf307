import Foundation
import HSMSyncModel
import ServiceLifecycle

/// Asks for a watch cycle every `sync.interval` until shutdown.
struct WatchLoop: Service {
    let coordinator: ServiceCoordinator

    func run() async throws {
        try? await cancelWhenGracefulShutdown {
            while true {
                await coordinator.requestWatch()
                let interval = coordinator.fleet.service?.sync.interval ?? 60
                try await Task.sleep(for: .milliseconds(Int(interval * 1000)))
            }
        }
    }
}
