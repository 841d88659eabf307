/// A fleet file, parsed and validated: the HSMs hsmsync keeps in parity, and how.
///
/// Loading never touches an HSM: everything that can be checked without one (YAML shape, unknown
/// keys, names, URIs, PIN sources) is checked first, with the YAML path in every message.
public struct Fleet: Sendable, Hashable {
    public let name: String
    public internal(set) var hsms: [HSMConfiguration]
    public let keys: KeyScope
    public let transport: TransportSettings
    public internal(set) var log: LogSettings?
    /// The file it was read from.
    public let path: String

    public init(
        name: String, hsms: [HSMConfiguration], keys: KeyScope = KeyScope(),
        transport: TransportSettings = TransportSettings(),
        log: LogSettings? = nil, path: String
    ) {
        self.name = name
        self.hsms = hsms
        self.keys = keys
        self.transport = transport
        self.log = log
        self.path = path
    }

    /// Whether an object with this label is hsmsync's own infrastructure — the transport key, the
    /// audit log's HSM-held key pair, the log's checkpoint anchor — which the parity audit checks on
    /// its own terms (or not at all) and never replicates.
    public func isInfrastructure(label: String?) -> Bool {
        guard let label else { return false }
        if label == transport.label || label.hasPrefix("hsmsync-log-anchor ") { return true }
        if case .hsm(_, let logKeyLabel) = log?.key, label == logKeyLabel { return true }
        return false
    }

    /// The HSM called `name`.
    public func hsm(named name: String) -> HSMConfiguration? {
        hsms.first { $0.name == name }
    }
}
