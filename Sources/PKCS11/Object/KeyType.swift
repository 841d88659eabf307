internal import CPKCS11

/// A key type (`CK_KEY_TYPE`), open so vendor-defined types stay representable.
public struct KeyType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt
    public init(rawValue: UInt) { self.rawValue = rawValue }

    /// `CKK_RSA`.
    public static let rsa = KeyType(rawValue: UInt(CKK_RSA))
    /// `CKK_EC`.
    public static let ec = KeyType(rawValue: UInt(CKK_EC))
    /// `CKK_EC_EDWARDS` (Ed25519, Ed448).
    public static let ecEdwards = KeyType(rawValue: UInt(CKK_EC_EDWARDS))
    /// `CKK_GENERIC_SECRET`.
    public static let genericSecret = KeyType(rawValue: UInt(CKK_GENERIC_SECRET))
    /// `CKK_AES`.
    public static let aes = KeyType(rawValue: UInt(CKK_AES))
    /// `CKK_DES3`.
    public static let des3 = KeyType(rawValue: UInt(CKK_DES3))
    /// `CKK_VENDOR_DEFINED`, the first vendor value.
    public static let vendorDefined = KeyType(rawValue: UInt(CPKCS11_CKK_VENDOR_DEFINED))

    /// `CKK_AES`, or `CKK_VENDOR_DEFINED+0x…`.
    public var description: String {
        specName(rawValue, Self.specNames, vendorBase: Self.vendorDefined.rawValue, prefix: "CKK")
    }
}
