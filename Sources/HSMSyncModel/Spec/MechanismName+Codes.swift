import CryptokiNames

extension MechanismName {
    /// The name of the mechanism with value `code` (`CKM_AES_KEY_WRAP`), or the vendor offset
    /// (`CKM_VENDOR_DEFINED+0x1`) for a value no header names.
    public init(code: UInt) {
        self.init(
            rawValue: CryptokiNames.name(
                of: code, in: CryptokiNames.allMechanisms, vendorBase: CryptokiNames.vendorDefinedMechanism,
                prefix: "CKM"))
    }

    /// The mechanism's value, when the name is one the spec (or hsmsync) defines.
    public var code: UInt? { CryptokiNames.mechanismValues[rawValue] }

    /// Whether the name is one the spec (or hsmsync) defines.
    public var isKnown: Bool { code != nil }
}
