import CryptokiNames

/// Spec names back to values: the model above the binding names attributes and mechanisms by their
/// spec names (`CKA_SIGN`, `CKM_AES_KEY_WRAP`); the endpoint turns them into the numbers it passes.
extension AttributeType {
    /// The attribute whose spec name is `specName`, if the system header (or this binding) knows it.
    public init?(specName: String) {
        guard let value = AttributeType.valuesBySpecName[specName] else { return nil }
        self.init(rawValue: value)
    }

    static let valuesBySpecName: [String: UInt] = Dictionary(
        specNames.map { ($0.value, $0.key) }, uniquingKeysWith: { first, _ in first })
}

extension MechanismType {
    /// `CKM_AES_KEY_WRAP_KWP` (PKCS#11 3.0, RFC 5649), newer than the system header.
    public static let aesKeyWrapKWP = MechanismType(rawValue: 0x210B)

    /// The mechanism whose spec name is `specName`, if the system header (or this binding) knows it.
    public init?(specName: String) {
        guard let value = MechanismType.valuesBySpecName[specName] else { return nil }
        self.init(rawValue: value)
    }

    /// Every name this binding knows, by value.
    static let allSpecNames = CryptokiNames.allMechanisms

    static let valuesBySpecName = CryptokiNames.mechanismValues
}
