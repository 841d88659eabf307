/// An object's class by the short name reports use (`secret-key`); `CKA_CLASS` in PKCS#11.
///
/// Classes hsmsync does not know keep a descriptive name (`vendor-defined(0x80000001)`).
public struct ObjectKind: SpecName {
    public let rawValue: String

    public init(rawValue: String) { self.rawValue = rawValue }

    public static let secretKey: ObjectKind = "secret-key"
    public static let privateKey: ObjectKind = "private-key"
    public static let publicKey: ObjectKind = "public-key"
    public static let certificate: ObjectKind = "certificate"
    public static let data: ObjectKind = "data"
    /// An object whose class cannot be read.
    public static let unknown: ObjectKind = "unknown"

    /// Whether objects of this class hold secret material (secret and private keys).
    public var holdsSecretMaterial: Bool { self == .secretKey || self == .privateKey }

    /// Whether objects of this class are keys.
    public var isKey: Bool { holdsSecretMaterial || self == .publicKey }
}
