internal import CPKCS11
import CryptokiNames

/// An object class (`CK_OBJECT_CLASS`), open so vendor-defined classes stay representable.
public struct ObjectClass: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt
    public init(rawValue: UInt) { self.rawValue = rawValue }

    /// `CKO_DATA`.
    public static let data = ObjectClass(rawValue: UInt(CKO_DATA))
    /// `CKO_CERTIFICATE`.
    public static let certificate = ObjectClass(rawValue: UInt(CKO_CERTIFICATE))
    /// `CKO_PUBLIC_KEY`.
    public static let publicKey = ObjectClass(rawValue: UInt(CKO_PUBLIC_KEY))
    /// `CKO_PRIVATE_KEY`.
    public static let privateKey = ObjectClass(rawValue: UInt(CKO_PRIVATE_KEY))
    /// `CKO_SECRET_KEY`.
    public static let secretKey = ObjectClass(rawValue: UInt(CKO_SECRET_KEY))
    /// `CKO_HW_FEATURE`.
    public static let hardwareFeature = ObjectClass(rawValue: UInt(CKO_HW_FEATURE))
    /// `CKO_DOMAIN_PARAMETERS`.
    public static let domainParameters = ObjectClass(rawValue: UInt(CKO_DOMAIN_PARAMETERS))
    /// `CKO_MECHANISM`.
    public static let mechanism = ObjectClass(rawValue: UInt(CKO_MECHANISM))
    /// `CKO_VENDOR_DEFINED`, the first vendor value.
    public static let vendorDefined = ObjectClass(rawValue: UInt(CPKCS11_CKO_VENDOR_DEFINED))

    /// Whether the value lies in the vendor-defined range.
    public var isVendorDefined: Bool { rawValue >= Self.vendorDefined.rawValue }

    /// `CKO_SECRET_KEY`, or `CKO_VENDOR_DEFINED+0x…`.
    public var description: String {
        specName(rawValue, Self.specNames, vendorBase: Self.vendorDefined.rawValue, prefix: "CKO")
    }
}

/// The shared rendering of open spec constants (``CryptokiNames/name(of:in:vendorBase:prefix:)``).
func specName(_ value: UInt, _ names: [UInt: String], vendorBase: UInt, prefix: String) -> String {
    CryptokiNames.name(of: value, in: names, vendorBase: vendorBase, prefix: prefix)
}
