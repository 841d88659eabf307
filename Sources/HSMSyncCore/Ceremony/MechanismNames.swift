import HSMSyncModel
public import PKCS11
import SignedLog

/// Mechanism spec names (`CKM_AES_KEY_WRAP`) to values, for ceremony files that list the
/// mechanisms a fleet check expects.
///
/// The binding's name table is internal to it; its `description` gives the spec name of every
/// value the system header defines, so the standard range is enumerated once.
public enum MechanismNames {
    private static let table: [String: MechanismType] = {
        var table: [String: MechanismType] = [:]
        for raw in UInt(0)..<0x4000 {
            let type = MechanismType(rawValue: raw)
            let name = type.description
            if name.hasPrefix("CKM_") && !name.contains("VENDOR") { table[name] = type }
        }
        return table
    }()

    /// The mechanism with this spec name, or `nil`.
    public static func type(named name: String) -> MechanismType? { table[name] }
}
