import HSMSyncModel
public import PKCS11
import SignedLog

extension KeyTemplate {
    /// The template that recreates this object on a destination: class, type, label, `CKA_ID`,
    /// every boolean attribute exactly as the source had it, allowed mechanisms, and for public keys
    /// their public material.
    ///
    /// `CKA_SENSITIVE` is always true for secret and private keys: a copy is never weaker than its
    /// source, and the transport key's unwrap template demands it anyway. `CKA_MODIFIABLE` comes
    /// last on purpose: SoftHSM2 2.6.1 applies an unwrap template in order and refuses every
    /// attribute after `CKA_MODIFIABLE=false` (`CKR_ATTRIBUTE_READ_ONLY`).
    ///
    /// - Parameter token: `false` to stage as a session object (SECURITY.md §5 step 4).
    public func attributes(token: Bool) throws(ReplicationError) -> [Attribute] {
        guard let objectClass = specClass, let keyType = specKeyType else {
            throw .unsupportedKey(identity.description, reason: "class \(self.objectClass), type \(self.keyType)")
        }
        guard let idBytes = Hex.decode(id) else {
            throw .envelopeInvalid("CKA_ID is not lowercase hex")
        }
        var template: [Attribute] = [
            .class(objectClass), .keyType(keyType), .bool(.token, token), .label(label), .id(idBytes),
        ]
        let holdsSecret = objectClass == .secretKey || objectClass == .privateKey
        for type in Self.booleanAttributes(for: objectClass) where type != .modifiable {
            guard let value = flags[type.description] else {
                throw .envelopeInvalid("the template lacks \(type)")
            }
            template.append(.bool(type, type == .sensitive && holdsSecret ? true : value))
        }
        if let allowedMechanisms {
            template.append(.allowedMechanisms(allowedMechanisms.map(MechanismType.init(rawValue:))))
        }
        if objectClass == .publicKey {
            for type in Self.publicAttributeTypes(for: objectClass, keyType: keyType) {
                guard let value = publicAttributes[type.description].flatMap(Hex.decode) else {
                    throw .envelopeInvalid("the public key template lacks \(type)")
                }
                template.append(.bytes(type, value))
            }
        }
        guard let modifiable = flags[AttributeType.modifiable.description] else {
            throw .envelopeInvalid("the template lacks CKA_MODIFIABLE")
        }
        template.append(.bool(.modifiable, modifiable))
        return template
    }

    /// How a destination object read back differs from this template (SECURITY.md R5: at least as
    /// restrictive; hsmsync asks for exactly the same, so any difference is refused).
    ///
    /// - Returns: one phrase per difference; empty when the object matches.
    func differences(from readBack: KeyTemplate) -> [String] {
        var problems: [String] = []
        if readBack.objectClass != objectClass { problems.append("class \(readBack.objectClass) ≠ \(objectClass)") }
        if readBack.keyType != keyType { problems.append("key type \(readBack.keyType) ≠ \(keyType)") }
        if readBack.label != label { problems.append("label differs") }
        if readBack.id != id { problems.append("CKA_ID differs") }
        let holdsSecret = objectClass == "secret-key" || objectClass == "private-key"
        for (name, expected) in flags.sorted(by: { $0.key < $1.key }) {
            let wanted = name == AttributeType.sensitive.description && holdsSecret ? true : expected
            let actual = readBack.flags[name]
            if actual != wanted {
                problems.append("\(name) is \(actual.map { String($0) } ?? "absent"), expected \(wanted)")
            }
        }
        if readBack.allowedMechanisms != allowedMechanisms { problems.append("CKA_ALLOWED_MECHANISMS differs") }
        for (name, value) in publicAttributes.sorted(by: { $0.key < $1.key })
        where readBack.publicAttributes[name] != value {
            problems.append("\(name) differs")
        }
        return problems
    }
}
