public import HSMSyncModel

/// Checked before every write a run makes to an HSM or to the signed log, when the run belongs to a
/// leader that may be deposed (the service on PostgreSQL): a writer whose term has ended is refused
/// at its next write, instead of interleaving its writes with the new leader's.
public protocol WriteFence: Sendable {
    /// Returns when the writer may still write; throws ``FenceError`` when it may not.
    func check() async throws
}

/// A write refused because the writer's term ended.
public struct FenceError: Error, CategorizedError, CustomStringConvertible {
    public let description: String

    public init(_ description: String) {
        self.description = description
    }

    public var category: FailureCategory { .runtime }
}
