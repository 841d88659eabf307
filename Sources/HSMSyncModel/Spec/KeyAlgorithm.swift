/// A key's type by the short name reports use (`aes`, `ec`); `CKA_KEY_TYPE` in PKCS#11.
///
/// Types hsmsync does not know keep the spec name's lowercase form without `CKK_`.
public struct KeyAlgorithm: SpecName {
    public let rawValue: String

    public init(rawValue: String) { self.rawValue = rawValue }

    public static let aes: KeyAlgorithm = "aes"
    public static let genericSecret: KeyAlgorithm = "generic-secret"
    public static let rsa: KeyAlgorithm = "rsa"
    public static let ec: KeyAlgorithm = "ec"
    public static let ecEdwards: KeyAlgorithm = "ec-edwards"
    public static let des3: KeyAlgorithm = "des3"

    /// The key types hsmsync replicates (by wrapping) and restores.
    public static let replicable: Set<KeyAlgorithm> = [.aes, .genericSecret, .rsa, .ec]
}
