import HSMSyncCore
import Logging

/// The fence of one leader term: a write passes only while the database still names this instance
/// as the holder at this epoch, with at least `margin` seconds of the lease left by the database's
/// clock. A term that has ended, or a database that cannot say, refuses the write.
///
/// What it cannot stop is a write already past its check when the process is paused (SIGSTOP, a
/// long stall): the margin (a third of the lease) covers any HSM step of a live process, not a
/// paused one. Such a write is at most the one copy in flight, which the journal and the fleet lock
/// keep from interleaving with the new leader's.
struct LeaseFence: WriteFence {
    let store: StateStore
    let instance: String
    let epoch: Int
    let margin: Double
    let metrics: ServiceMetrics
    let logger: Logger

    func check() async throws {
        let holds: Bool
        do {
            holds = try await store.confirmLease(instance: instance, epoch: epoch, margin: margin)
        } catch {
            throw refused("the lease cannot be confirmed (\(StateStoreError.describe(error)))")
        }
        guard !holds else { return }
        let now = try? await store.lease()
        throw refused(
            now.map {
                $0.holder == instance && $0.epoch == epoch
                    ? "less than \(Int(margin)) s of the lease are left" : "\($0.holder) leads at epoch \($0.epoch)"
            }
                ?? "no lease")
    }

    private func refused(_ why: String) -> FenceError {
        metrics.fencedWrite()
        logger.error("write refused by the epoch check", metadata: ["epoch": "\(epoch)", "reason": "\(why)"])
        return FenceError("write refused: this instance's term (epoch \(epoch)) has ended: \(why)")
    }
}
