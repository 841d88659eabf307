import Synchronization

/// A request from outside a running use case — an operator's Ctrl-C, a `SIGTERM`, a service
/// shutting down — to stop at the next safe point: a reconcile finishes the copy in flight (it is
/// journaled and logged like any other), starts no other, and reports what was done and what was left.
public final class StopRequest: Sendable {
    private let reason = Mutex<String?>(nil)

    public init() {}

    /// Asks the run to stop; `why` is what the report says (`SIGINT`, `SIGTERM`). The first request wins.
    public func request(_ why: String) {
        reason.withLock { if $0 == nil { $0 = why } }
    }

    /// Why a stop was requested, or `nil` while none was.
    public var requested: String? {
        reason.withLock { $0 }
    }
}
