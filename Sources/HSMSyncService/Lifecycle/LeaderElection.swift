import Foundation
import Logging
import ServiceLifecycle

/// Claims and renews the leader lease every third of its length, for as long as the service runs,
/// and lets it lapse at a clean stop. The first in the service group: it stops last, after the
/// work in flight has drained under a lease still renewed.
struct LeaderElection: Service {
    let store: StateStore
    let leadership: Leadership
    let seconds: Double
    let metrics: ServiceMetrics
    let logger: Logger
    /// Called when a term begins, with its epoch.
    let elected: @Sendable (Int) async -> Void

    func run() async throws {
        try? await cancelWhenGracefulShutdown {
            while true {
                await claim()
                try await Task.sleep(for: .milliseconds(Int(seconds * 1000 / 3)))
            }
        }
        if let term = leadership.term {
            leadership.stepDown()
            metrics.leader(false)
            do {
                try await store.releaseLease(instance: leadership.instance, epoch: term.epoch)
                logger.info("leader lease released", metadata: ["epoch": "\(term.epoch)"])
            } catch {
                logger.warning(
                    "the leader lease could not be released; it lapses by itself", metadata: ["error": "\(error)"])
            }
        }
    }

    func claim() async {
        let asked = ContinuousClock.now
        do {
            let lease = try await store.claimLease(
                instance: leadership.instance, epoch: leadership.heldEpoch, seconds: seconds)
            if lease.holder == leadership.instance {
                if leadership.lead(epoch: lease.epoch, validUntil: asked + .milliseconds(Int(seconds * 1000))) {
                    logger.notice("leader", metadata: ["epoch": "\(lease.epoch)"])
                    metrics.leader(true)
                    await elected(lease.epoch)
                }
            } else if leadership.follow(lease.holder, epoch: lease.epoch) {
                logger.warning(
                    "no longer leader", metadata: ["leader": "\(lease.holder)", "epoch": "\(lease.epoch)"])
                metrics.leader(false)
            }
        } catch {
            // The term, if any, stays until its lease would lapse: `Leadership.term` ends it then.
            logger.error("cannot claim or renew the leader lease", metadata: ["error": "\(error)"])
            if !leadership.isLeader { metrics.leader(false) }
        }
    }
}
