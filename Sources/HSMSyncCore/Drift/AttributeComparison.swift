import HSMSyncModel
import SignedLog

/// The policy differences between two copies of one key, as `CKA_…: a=value, b=value` lines.
/// Provenance (`CKA_LOCAL`, `CKA_ALWAYS_SENSITIVE`, `CKA_NEVER_EXTRACTABLE`) is never compared:
/// no copy can keep it.
enum AttributeComparison {
    static func differences(reference: KeyRecord, referenceName: String, other: KeyRecord, otherName: String)
        -> [String]
    {
        var differences: [String] = []
        func note(_ name: String, _ a: String, _ b: String) {
            if a != b { differences.append("\(name): \(referenceName) \(a), \(otherName) \(b)") }
        }
        func text(_ value: Bool?) -> String { value.map { $0 ? "true" : "false" } ?? "absent" }

        note("key type", reference.keyType ?? "none", other.keyType ?? "none")
        // An unknown size (SoftHSM2 reports none for unwrapped keys) is not a difference.
        if let a = reference.size, let b = other.size {
            note("size", String(a), String(b))
        }
        note("curve", reference.curve ?? "none", other.curve ?? "none")
        for (attribute, name) in usageAttributes {
            note(attribute, text(reference.usage.contains(name)), text(other.usage.contains(name)))
        }
        for ((name, a), (_, b)) in zip(reference.attributes.named, other.attributes.named) {
            note(name, text(a), text(b))
        }
        note(
            "CKA_ALLOWED_MECHANISMS", reference.allowedMechanisms?.joined(separator: ",") ?? "any",
            other.allowedMechanisms?.joined(separator: ",") ?? "any")
        return differences
    }

    /// The policy attributes `template` records that `record` holds with another value, as
    /// `CKA_…: bundle value, target value` lines; an attribute either side does not report is not
    /// a difference.
    static func differences(template: BackupTemplate, record: KeyRecord) -> [String] {
        func text(_ value: Bool) -> String { value ? "true" : "false" }
        var held = Dictionary(
            uniqueKeysWithValues: record.attributes.named.compactMap { entry in
                entry.value.map { (entry.name, $0) }
            })
        for (attribute, name) in usageAttributes { held[attribute] = record.usage.contains(name) }
        return held.keys.sorted().compactMap { name in
            guard let expected = template.bool(name), let actual = held[name], expected != actual else { return nil }
            return "\(name): bundle \(text(expected)), target \(text(actual))"
        }
    }

    /// The usage attributes by spec name, with the short name ``KeyRecord/usage`` lists.
    static let usageAttributes = [
        ("CKA_ENCRYPT", "encrypt"), ("CKA_DECRYPT", "decrypt"), ("CKA_SIGN", "sign"), ("CKA_VERIFY", "verify"),
        ("CKA_WRAP", "wrap"), ("CKA_UNWRAP", "unwrap"), ("CKA_DERIVE", "derive"), ("CKA_SIGN_RECOVER", "sign-recover"),
        ("CKA_VERIFY_RECOVER", "verify-recover"),
    ]
}
