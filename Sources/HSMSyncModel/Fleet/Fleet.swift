/// A fleet file, parsed and validated: the HSMs hsmsync keeps in parity, and how.
///
/// Loading never touches an HSM: everything that can be checked without one (YAML shape, unknown
/// keys, names, URIs, PIN sources) is checked first, with the YAML path in every message.
public struct Fleet: Sendable, Hashable {
    public let name: String
    public package(set) var hsms: [HSMConfiguration]
    public let keys: KeyScope
    public let transport: TransportSettings
    public package(set) var log: LogSettings?
    /// The `backup:` section (defaults when absent).
    public package(set) var backup: BackupSettings
    /// What replication may do beyond SECURITY.md's fixed rules (`policy:`).
    public let policy: ReplicationPolicy
    /// Where `hsmsync reconcile` keeps its journal and lock (`state.dir`; default
    /// ``defaultStateDirectory(forFleetAt:)``).
    public package(set) var stateDirectory: String
    /// The file it was read from.
    public let path: String
    /// SHA-256 of the bytes the fleet was parsed from, taken when they were read: what log entries
    /// record as the fleet file, even if the file has changed or gone since. `nil` for a fleet
    /// built in code.
    public let fileDigest: AuditDigest?
    /// How `hsmsync serve` runs for this fleet (the `service:` section); `nil` when absent.
    public package(set) var service: ServiceSettings?

    public init(
        name: String, hsms: [HSMConfiguration], keys: KeyScope = KeyScope(),
        transport: TransportSettings = TransportSettings(),
        log: LogSettings? = nil, backup: BackupSettings = BackupSettings(),
        policy: ReplicationPolicy = ReplicationPolicy(),
        stateDirectory: String? = nil, path: String, fileDigest: AuditDigest? = nil
    ) {
        self.name = name
        self.hsms = hsms
        self.keys = keys
        self.transport = transport
        self.log = log
        self.backup = backup
        self.policy = policy
        self.stateDirectory = stateDirectory ?? Self.defaultStateDirectory(forFleetAt: path)
        self.path = path
        self.fileDigest = fileDigest
    }

    /// `hsmsync-state/` beside the fleet file: one journal per fleet file, found again by every run.
    public static func defaultStateDirectory(forFleetAt path: String) -> String {
        let directory = path.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
        return (directory.isEmpty ? "." : directory) + "/hsmsync-state"
    }

    /// Whether an object with this label is hsmsync's own infrastructure — the transport key, the
    /// audit log's HSM-held key pair, the log's checkpoint anchor, a capability probe's leftover — which the parity audit checks on
    /// its own terms (or not at all) and never replicates.
    public func isInfrastructure(label: String?) -> Bool {
        guard let label else { return false }
        return infrastructure.contains(label: label)
    }

    /// The labels of hsmsync's own objects in this fleet's HSMs.
    public var infrastructure: InfrastructureLabels {
        var labels: Set<String> = [transport.label]
        if let keyLabel = backup.keyLabel { labels.insert(keyLabel) }
        if case .hsm(_, let signingLabel) = backup.signingKey { labels.insert(signingLabel) }
        if case .hsm(_, let logKeyLabel) = log?.key { labels.insert(logKeyLabel) }
        return InfrastructureLabels(
            labels: labels,
            prefixes: [InfrastructureLabels.logAnchorPrefix, InfrastructureLabels.capabilityProbePrefix])
    }

    /// The HSM called `name`.
    public func hsm(named name: String) -> HSMConfiguration? {
        hsms.first { $0.name == name }
    }
}
