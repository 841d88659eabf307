/// The labels of hsmsync's own objects in a fleet's HSMs — the transport key, a distinct backup
/// key, HSM-held log and backup signing keys, the log's anchor objects — which are never audited as
/// keys, replicated or backed up.
public struct InfrastructureLabels: Sendable, Hashable {
    public let labels: Set<String>
    /// Label prefixes (the log anchor's is `hsmsync-log-anchor <origin>`).
    public let prefixes: [String]

    /// The prefix of the throwaway token key the capability probe creates and destroys at once.
    /// A process killed between the two leaves it behind; it must never count as a key to audit
    /// or replicate.
    public static let capabilityProbePrefix = "hsmsync-capability-probe-"

    /// The log anchors' prefix, as ``HSMAnchorStore`` labels them.
    public static let logAnchorPrefix = "hsmsync-log-anchor "

    public init(labels: Set<String>, prefixes: [String]) {
        self.labels = labels
        self.prefixes = prefixes
    }

    /// Whether `label` is one of hsmsync's own.
    public func contains(label: String) -> Bool {
        labels.contains(label) || prefixes.contains { label.hasPrefix($0) }
    }
}
