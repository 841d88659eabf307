/// A fleet file, parsed and validated: the HSMs hsmsync keeps in parity, and how.
///
/// Loading never touches an HSM: everything that can be checked without one (YAML shape, unknown
/// keys, names, URIs, PIN sources) is checked first, with the YAML path in every message.
public struct Fleet: Sendable, Hashable {
    public let name: String
    public let hsms: [HSMConfiguration]
    public let keys: KeyScope
    public let transport: TransportSettings
    public let log: LogSettings?
    /// The `backup:` section (defaults when absent).
    public let backup: BackupSettings
    /// The file it was read from.
    public let path: String

    public init(
        name: String, hsms: [HSMConfiguration], keys: KeyScope = KeyScope(),
        transport: TransportSettings = TransportSettings(),
        log: LogSettings? = nil, backup: BackupSettings = BackupSettings(), path: String
    ) {
        self.name = name
        self.hsms = hsms
        self.keys = keys
        self.transport = transport
        self.log = log
        self.backup = backup
        self.path = path
    }

    /// Whether an object with this label is hsmsync's own infrastructure — the transport key, the
    /// audit log's HSM-held key pair, the log's checkpoint anchor — which the parity audit checks on
    /// its own terms (or not at all) and never replicates.
    public func isInfrastructure(label: String?) -> Bool {
        guard let label else { return false }
        if label == transport.label || label.hasPrefix("hsmsync-log-anchor ") { return true }
        if label == backup.keyLabel { return true }
        if case .hsm(_, let signingLabel) = backup.signingKey, label == signingLabel { return true }
        if case .hsm(_, let logKeyLabel) = log?.key, label == logKeyLabel { return true }
        return false
    }

    /// The HSM called `name`.
    public func hsm(named name: String) -> HSMConfiguration? {
        hsms.first { $0.name == name }
    }
}
