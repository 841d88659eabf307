/// A token a PKCS#11 module offers (`hsmsync tokens --module M`), with the URI a fleet file's
/// `token:` can name it by.
public struct DiscoveredToken: Sendable, Codable, Hashable {
    /// The slot it is in now (slot numbers change across restarts: never select a token by them).
    public let slot: UInt
    /// Whether the token is initialised (an uninitialised one cannot be selected or used yet).
    public let initialized: Bool
    public let label: String
    public let serial: String
    public let manufacturer: String
    public let model: String
    /// `pkcs11:token=LABEL;serial=SERIAL` for an initialised token; absent otherwise.
    public let uri: String?

    public init(slot: UInt, initialized: Bool, label: String, serial: String, manufacturer: String, model: String) {
        self.slot = slot
        self.initialized = initialized
        self.label = label
        self.serial = serial
        self.manufacturer = manufacturer
        self.model = model
        uri = initialized ? PKCS11URIs.token(label: label, serial: serial) : nil
    }
}
