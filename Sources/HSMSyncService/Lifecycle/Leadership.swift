public import Foundation
import Synchronization

/// Whether this instance leads the service for its fleet, as the leader lease last said.
///
/// A term counts as this instance's only until the lease it claimed would lapse, measured from
/// just before the claim on this host's monotonic clock: the database set the expiry later than
/// that, so the instance stops leading no later than the database lets another take over, whatever
/// the two clocks say.
public final class Leadership: Sendable {
    /// One term of this instance as leader.
    public struct Term: Sendable, Hashable {
        public let epoch: Int
        public let since: Date
    }

    /// The leader as this instance last saw it.
    public struct Leader: Sendable, Hashable {
        public let instance: String
        public let epoch: Int
        /// When this instance first saw it lead.
        public let since: Date
    }

    private struct State {
        var term: Term?
        var validUntil: ContinuousClock.Instant?
        var leader: Leader?
    }

    public let instance: String
    private let state = Mutex(State())

    public init(instance: String) {
        self.instance = instance
    }

    /// This instance's term, while its lease is valid.
    public var term: Term? {
        state.withLock { state in
            guard let term = state.term, let until = state.validUntil, ContinuousClock.now < until else { return nil }
            return term
        }
    }

    public var isLeader: Bool { term != nil }

    /// The epoch of this instance's latest term, valid or not: what a renewal names.
    var heldEpoch: Int? { state.withLock { $0.term?.epoch } }

    /// The leader as last seen (this instance, or another).
    public var leader: Leader? { state.withLock { $0.leader } }

    /// Records a claim this instance won. - Returns: whether a new term began.
    func lead(epoch: Int, validUntil: ContinuousClock.Instant) -> Bool {
        state.withLock { state in
            let isNew = state.term?.epoch != epoch
            if isNew { state.term = Term(epoch: epoch, since: Date()) }
            state.validUntil = validUntil
            if state.leader?.instance != instance || state.leader?.epoch != epoch {
                state.leader = Leader(instance: instance, epoch: epoch, since: state.term?.since ?? Date())
            }
            return isNew
        }
    }

    /// Records a claim another instance holds. - Returns: whether this instance had been leading.
    func follow(_ holder: String, epoch: Int) -> Bool {
        state.withLock { state in
            let wasLeading = state.term != nil
            state.term = nil
            state.validUntil = nil
            if state.leader?.instance != holder || state.leader?.epoch != epoch {
                state.leader = Leader(instance: holder, epoch: epoch, since: Date())
            }
            return wasLeading
        }
    }

    /// Ends this instance's term (a clean stop).
    func stepDown() {
        state.withLock { state in
            state.term = nil
            state.validUntil = nil
        }
    }
}
