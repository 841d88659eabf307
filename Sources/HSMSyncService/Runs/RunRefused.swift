/// Why the service would not queue a run (`409` over HTTP).
public enum RunRefused: Error, Sendable, Hashable, CustomStringConvertible {
    /// A run of the same kind is queued or running.
    case alreadyQueued(id: String)
    /// The service is shutting down.
    case stopping
    /// Another process holds the fleet lock (a reconcile, restore or ceremony run by hand).
    case fleetLocked(String)
    /// This instance does not lead: `leader` does (`nil`: none known yet).
    case notLeader(leader: Leadership.Leader?)

    public var description: String {
        switch self {
        case .alreadyQueued(let id): "run \(id) is already queued or running"
        case .stopping: "the service is shutting down"
        case .fleetLocked(let reason): reason
        case .notLeader(let leader):
            "this instance does not lead; "
                + (leader.map { "\($0.instance) does (epoch \($0.epoch)): send it there" } ?? "no leader is known yet")
        }
    }
}
