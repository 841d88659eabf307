import HSMSyncModel
import SignedLog

/// Risky attribute combinations on keys that hold secret material (issue 3, SECURITY.md §1.5).
enum PolicyLint {
    /// The rules `record` breaks; empty when none.
    static func problems(_ record: KeyRecord) -> [String] {
        guard record.holdsSecretMaterial else { return [] }
        var problems: [String] = []
        let usage = Set(record.usage)
        if usage.contains("wrap") && usage.contains("decrypt") {
            problems.append("can both wrap and decrypt (a key it wraps can be decrypted to clear text)")
        }
        if usage.contains("unwrap") && usage.contains("encrypt") {
            problems.append("can both unwrap and encrypt (a key of the attacker's choosing can be imported)")
        }
        if record.attributes.extractable == true && record.attributes.wrapWithTrusted != true {
            problems.append("extractable without CKA_WRAP_WITH_TRUSTED (any wrapping key may export it)")
        }
        if record.attributes.sensitive == false {
            problems.append("not sensitive (CKA_SENSITIVE=false: its value can be read in clear)")
        }
        return problems
    }
}
