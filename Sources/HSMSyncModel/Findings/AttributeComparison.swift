/// The policy differences between two copies of one key, as `CKA_…: a=value, b=value` lines.
/// Provenance (`CKA_LOCAL`, `CKA_ALWAYS_SENSITIVE`, `CKA_NEVER_EXTRACTABLE`) is never compared:
/// no copy can keep it.
package enum AttributeComparison {
    /// - Parameter ignoring: attributes one of the two tokens does not store on token objects: not
    ///   compared (``weakenings(reference:referenceName:other:otherName:refused:)`` reports them).
    package static func differences(
        reference: KeyRecord, referenceName: String, other: KeyRecord, otherName: String,
        ignoring: Set<AttributeName> = []
    ) -> [String] {
        var differences: [String] = []
        func note(_ name: String, _ a: String, _ b: String) {
            if a != b { differences.append("\(name): \(referenceName) \(a), \(otherName) \(b)") }
        }
        func text(_ value: Bool?) -> String { value.map { $0 ? "true" : "false" } ?? "absent" }

        note("key type", reference.keyType?.rawValue ?? "none", other.keyType?.rawValue ?? "none")
        // An unknown size (SoftHSM2 reports none for unwrapped keys) is not a difference.
        if let a = reference.size, let b = other.size {
            note("size", String(a), String(b))
        }
        note("curve", reference.curve ?? "none", other.curve ?? "none")
        for (attribute, name) in AttributeName.usages {
            note(attribute.rawValue, text(reference.usage.contains(name)), text(other.usage.contains(name)))
        }
        for ((name, a), (_, b)) in zip(reference.attributes.named, other.attributes.named)
        where !ignoring.contains(name) {
            // An attribute a token does not report on a key has its PKCS#11 default (NSS softoken
            // reports CKA_TRUSTED never, CKA_WRAP_WITH_TRUSTED only when a template set it).
            let absent = name == .trusted ? false : KeyTemplate.valuesWhenAbsent[name]
            note(name.rawValue, text(a ?? absent), text(b ?? absent))
        }
        if !ignoring.contains(.allowedMechanisms) {
            note(
                "CKA_ALLOWED_MECHANISMS", reference.allowedMechanisms?.joined(separator: ",") ?? "any",
                other.allowedMechanisms?.joined(separator: ",") ?? "any")
        }
        return differences
    }

    /// How a copy on a token that refuses some attributes is weaker than the reference: one phrase
    /// per attribute the reference restricts with and the copy's token cannot hold.
    package static func weakenings(reference: KeyRecord, other: KeyRecord, refused: Set<AttributeName>) -> [String] {
        var weaker: [String] = []
        if refused.contains(.copyable), reference.attributes.copyable == false, other.attributes.copyable != false {
            weaker.append("CKA_COPYABLE=false")
        }
        if refused.contains(.destroyable), reference.attributes.destroyable == false,
            other.attributes.destroyable != false
        {
            weaker.append("CKA_DESTROYABLE=false")
        }
        if refused.contains(.wrapWithTrusted), reference.attributes.wrapWithTrusted == true,
            other.attributes.wrapWithTrusted != true
        {
            weaker.append("CKA_WRAP_WITH_TRUSTED=true")
        }
        if refused.contains(.allowedMechanisms), let mechanisms = reference.allowedMechanisms,
            other.allowedMechanisms != mechanisms
        {
            weaker.append("CKA_ALLOWED_MECHANISMS=\(mechanisms.joined(separator: ","))")
        }
        return weaker
    }

    /// The policy attributes `template` records that `record` holds with another value, as
    /// `CKA_…: bundle value, target value` lines; an attribute either side does not report is not
    /// a difference.
    package static func differences(template: BackupTemplate, record: KeyRecord) -> [String] {
        func text(_ value: Bool) -> String { value ? "true" : "false" }
        var held = Dictionary(
            uniqueKeysWithValues: record.attributes.named.compactMap { entry in
                entry.value.map { (entry.name, $0) }
            })
        for (attribute, name) in AttributeName.usages { held[attribute] = record.usage.contains(name) }
        return held.keys.sorted().compactMap { name in
            guard let expected = template.bool(name), let actual = held[name], expected != actual else { return nil }
            return "\(name): bundle \(text(expected)), target \(text(actual))"
        }
    }

}
