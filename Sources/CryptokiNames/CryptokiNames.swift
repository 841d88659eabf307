/// The spec names of the PKCS#11 constants the system header defines, by value: pure data with no
/// binding, so that layers that name mechanisms and attributes (the model, reports, bundles) and the
/// binding that passes the numbers read one table.
public enum CryptokiNames {
    /// The spec name of `value` from `names`, else its offset from the vendor range
    /// (`CKM_VENDOR_DEFINED+0x1`), else `CKM_unknown(0x…)`.
    public static func name(of value: UInt, in names: [UInt: String], vendorBase: UInt, prefix: String) -> String {
        if let name = names[value] {
            return name
        }
        if value >= vendorBase {
            return "\(prefix)_VENDOR_DEFINED+0x" + String(value - vendorBase, radix: 16)
        }
        return "\(prefix)_unknown(0x" + String(value, radix: 16) + ")"
    }
}

extension CryptokiNames {
    /// Mechanisms newer than the system header (Cryptoki 2.40) that hsmsync names.
    public static let laterMechanisms: [UInt: String] = [0x210B: "CKM_AES_KEY_WRAP_KWP"]

    /// Every mechanism name known, by value.
    public static let allMechanisms = mechanisms.merging(laterMechanisms) { first, _ in first }

    /// Mechanism values by spec name.
    public static let mechanismValues: [String: UInt] = Dictionary(
        allMechanisms.map { ($0.value, $0.key) }, uniquingKeysWith: { first, _ in first })

    /// `CKM_VENDOR_DEFINED`, the first vendor value.
    public static let vendorDefinedMechanism: UInt = 0x8000_0000
}
