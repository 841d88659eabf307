import Foundation
import Logging
import ServiceLifecycle

/// On shutdown: stop taking work and let the HSM operation in flight finish; after `deadline`
/// abandon it (the replication journal makes an abandoned copy recoverable on the next run).
struct CoordinatorDrain: Service {
    let coordinator: ServiceCoordinator
    let deadline: Duration
    let logger: Logger

    func run() async throws {
        try? await gracefulShutdown()
        logger.info("shutting down: no new work; waiting for the operation in flight")
        let finished = await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                await coordinator.stop()
                return true
            }
            group.addTask {
                try? await Task.sleep(for: deadline)
                return false
            }
            let first = await group.next() ?? false
            group.cancelAll()
            return first
        }
        if !finished {
            logger.warning(
                "the operation in flight did not finish in time: abandoned; the next run recovers it from the journal")
            await coordinator.abandon()
        }
    }
}
