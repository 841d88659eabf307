extension KeyTemplate {
    /// What a key behaves as when the token does not store or report one of these attributes: the
    /// value PKCS#11 gives it when absent (NSS softoken copies and destroys any key, and reports
    /// CKA_WRAP_WITH_TRUSTED and CKA_ALWAYS_AUTHENTICATE only when a template set them). Templates
    /// read from such a token record these, so they stay complete and another token recreates the
    /// key as it behaves.
    public static let valuesWhenAbsent: [AttributeName: Bool] = [
        .copyable: true, .destroyable: true, .wrapWithTrusted: false, .alwaysAuthenticate: false,
    ]

    /// The restrictions of this template a token refusing `refused` cannot keep, as
    /// `CKA_COPYABLE=false`-style phrases: the copy there is weaker by exactly these.
    public func weakenings(refused: Set<AttributeName>) -> [String] {
        var weaker: [String] = []
        for (name, unrestricted) in Self.valuesWhenAbsent.sorted(by: { $0.key < $1.key })
        where refused.contains(name) && flags[name] != nil && flags[name] != unrestricted {
            weaker.append("\(name)=\(flags[name] == true)")
        }
        if refused.contains(.allowedMechanisms), let allowedMechanisms {
            let names = allowedMechanisms.map { MechanismName(code: $0).rawValue }
            weaker.append("CKA_ALLOWED_MECHANISMS=\(names.joined(separator: ","))")
        }
        return weaker
    }

    /// How a copy read back on a token refusing `refused` differs from this template, leaving out
    /// those attributes (``weakenings(refused:)`` names what they cost).
    public func differences(from readBack: KeyTemplate, ignoring refused: Set<AttributeName>) -> [String] {
        guard !refused.isEmpty else { return differences(from: readBack) }
        return without(refused).differences(from: readBack.without(refused))
    }

    /// This template with the attributes in `names` set as a token refusing them behaves.
    func without(_ names: Set<AttributeName>) -> KeyTemplate {
        var flags = self.flags
        for (name, value) in Self.valuesWhenAbsent where names.contains(name) && flags[name] != nil {
            flags[name] = value
        }
        return KeyTemplate(
            objectClass: objectClass, keyType: keyType, label: label, id: id, flags: flags,
            allowedMechanisms: names.contains(.allowedMechanisms) ? nil : allowedMechanisms,
            publicAttributes: publicAttributes, valueLength: valueLength)
    }
}
