/// What a token says about itself when an endpoint opens it (`C_GetTokenInfo`).
public struct TokenDescription: Sendable, Hashable, Codable {
    public let label: String
    public let serialNumber: String
    public let model: String
    public let manufacturer: String
    /// `major.minor`.
    public let firmware: String

    public init(label: String, serialNumber: String, model: String, manufacturer: String, firmware: String) {
        self.label = label
        self.serialNumber = serialNumber
        self.model = model
        self.manufacturer = manufacturer
        self.firmware = firmware
    }

    /// The token as reports summarise it.
    public var summary: TokenSummary {
        TokenSummary(label: label, serial: serialNumber, model: model, manufacturer: manufacturer)
    }
}
