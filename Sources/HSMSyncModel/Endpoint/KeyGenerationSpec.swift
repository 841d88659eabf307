/// A key to generate, with its complete template.
public struct KeyGenerationSpec: Sendable, Hashable {
    public enum KeyType: String, Sendable, Hashable {
        case aes
        case ec
        case rsa
    }

    public let hsm: String
    public let label: String
    public let id: [UInt8]
    public let type: KeyType
    /// Bits (AES: 128, 192 or 256; RSA: 2048, 3072 or 4096); `nil` for EC.
    public let size: Int?
    /// `P-256` or `P-384` for EC; `nil` otherwise.
    public let curve: String?
    /// Every attribute of ``attributeNames``, explicitly.
    public let attributes: [String: Bool]

    /// The attributes a generate-key step must give, every one of them.
    public static let attributeNames = [
        "sensitive", "extractable", "wrap-with-trusted", "modifiable", "sign", "verify", "encrypt", "decrypt", "wrap",
        "unwrap", "derive",
    ]

    package init(
        hsm: String, label: String, id: [UInt8], type: KeyType, size: Int?, curve: String?, attributes: [String: Bool]
    ) {
        self.hsm = hsm
        self.label = label
        self.id = id
        self.type = type
        self.size = size
        self.curve = curve
        self.attributes = attributes
    }
}
