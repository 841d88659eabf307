/// The fleet file's `log:` section: where the signed audit log lives and which key signs it.
public struct LogSettings: Sendable, Hashable {
    /// The log directory, resolved against the fleet file's directory.
    public let directory: String
    public let key: LogKey

    public init(directory: String, key: LogKey) {
        self.directory = directory
        self.key = key
    }

    /// The log's signing key.
    public enum LogKey: Sendable, Hashable {
        /// A key file (`file:PATH`, the C2SP private key text that `hsmsync log keygen` writes, mode 0600):
        /// development and tests.
        case file(path: String)
        /// A key held in one of the fleet's HSMs, found by label.
        case hsm(name: String, label: String)
    }
}

/// The fleet file's `transport:` section.
public struct TransportSettings: Sendable, Hashable {
    /// Label of the transport key object in every HSM.
    public let label: String

    /// The label used when the fleet file has no `transport:` section.
    public static let defaultLabel = "hsmsync-transport"

    public init(label: String = TransportSettings.defaultLabel) {
        self.label = label
    }
}
