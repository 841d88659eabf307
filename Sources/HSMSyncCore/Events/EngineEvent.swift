public import HSMSyncModel

/// What a use case reports while it runs, for whichever front end shows progress: a terminal's
/// progress line, a service's event stream, a test counting copies.
///
/// Events describe work, never secrets: names of HSMs, identities of keys, counts and reasons.
public enum EngineEvent: Sendable, Hashable {
    /// An HSM's scan has read `objectsRead` of the `objectsFound` objects it enumerated (reported
    /// every 256 objects and at the end).
    case scanProgress(hsm: String, objectsRead: Int, objectsFound: Int)
    /// An HSM's scan is complete: `objects` objects are in its inventory.
    case scanFinished(hsm: String, objects: Int)
    /// An HSM could not be scanned (its finding in the report says the same).
    case scanFailed(hsm: String, reason: String)
    /// Reconcile planned `copies` copies (before the first one starts; zero when there is nothing
    /// to copy or the run only plans), `destinations` of them to each destination HSM.
    case copiesPlanned(copies: Int, destinations: [String: Int])
    /// One planned copy is done, copied or failed.
    case copyFinished(CopyProgress)
}

/// One finished copy in a reconcile run.
public struct CopyProgress: Sendable, Hashable {
    /// How the copy ended.
    public enum Outcome: Sendable, Hashable {
        case copied
        /// Failed, with the report's reason (`transport`, `integrity`, …).
        case failed(reason: String)
    }

    public let key: KeyIdentity
    public let source: String
    public let destination: String
    public let outcome: Outcome
    /// Copies finished so far in this run, this one included.
    public let done: Int
    /// Copies planned.
    public let total: Int

    public init(key: KeyIdentity, source: String, destination: String, outcome: Outcome, done: Int, total: Int) {
        self.key = key
        self.source = source
        self.destination = destination
        self.outcome = outcome
        self.done = done
        self.total = total
    }
}
