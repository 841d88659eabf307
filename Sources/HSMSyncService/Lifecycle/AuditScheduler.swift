import Foundation
import HSMSyncModel
import Logging
import ServiceLifecycle

/// Queues the parity audit at the times `schedule.audit` names (UTC). A run missed while the
/// service was down runs once at start — once, however many were missed.
struct AuditScheduler: Service {
    let coordinator: ServiceCoordinator
    let store: StateStore
    let logger: Logger

    func run() async throws {
        try? await cancelWhenGracefulShutdown {
            // Only the leader schedules; an instance that becomes leader later catches up then.
            while !coordinator.leadership.isLeader {
                try await Task.sleep(for: .milliseconds(250))
            }
            try await catchUp()
            let current = coordinator.fleet.service?.schedule.audit
            logger.info("audit schedule ready", metadata: ["schedule": "\(current?.description ?? "none")"])
            while true {
                guard let schedule = coordinator.fleet.service?.schedule.audit,
                    let next = schedule.next(after: Date())
                else {
                    // No schedule (or one that never fires): look again after a reload.
                    try await Task.sleep(for: .seconds(60))
                    continue
                }
                try await sleep(until: next)
                // The fleet file may have been reloaded with another schedule while sleeping.
                guard coordinator.fleet.service?.schedule.audit == schedule else { continue }
                await queue(requestedBy: "schedule")
            }
        }
    }

    /// The missed-run rule: the schedule's last fire time before now, if no audit was queued since.
    private func catchUp() async throws {
        guard let schedule = coordinator.fleet.service?.schedule.audit,
            let due = schedule.previous(atOrBefore: Date())
        else { return }
        let last = try await store.lastQueued(.audit)
        if last == nil || last! < due {
            logger.info(
                "scheduled audit missed while the service was down: running it now",
                metadata: ["due": "\(RFC3339.seconds.string(from: due))"])
            await queue(requestedBy: "schedule (missed \(RFC3339.seconds.string(from: due)))")
        }
    }

    private func queue(requestedBy: String) async {
        do {
            _ = try await coordinator.submit(.audit, requestedBy: requestedBy)
        } catch RunRefused.notLeader(let leader) {
            logger.info("scheduled audit left to the leader", metadata: ["leader": "\(leader?.instance ?? "none")"])
        } catch {
            logger.warning("scheduled audit not queued", metadata: ["reason": "\(error)"])
        }
    }

    /// Sleeps in steps of at most a minute, so that a clock change does not leave it asleep for hours.
    private func sleep(until date: Date) async throws {
        while true {
            let remaining = date.timeIntervalSinceNow
            guard remaining > 0 else { return }
            try await Task.sleep(for: .milliseconds(Int(min(remaining, 60) * 1000) + 1))
        }
    }
}
