public import HSMSyncModel
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
    /// - Parameters:
    ///   - token: `false` to stage as a session object (SECURITY.md §5 step 4).
    ///   - omitting: attributes the destination token refuses on token objects; the caller reports
    ///     what leaving them out costs (``KeyTemplate/weakenings(refused:)``).
    public func attributes(token: Bool, omitting: Set<AttributeName> = []) throws(ReplicationError) -> [Attribute] {
        guard isReplicable, let objectClass = SpecNames.objectClass(self.objectClass),
            let keyType = SpecNames.keyType(self.keyType)
        else {
            throw .unsupportedKey(identity.description, reason: "class \(self.objectClass), type \(self.keyType)")
        }
        guard let idBytes = Hex.decode(id) else {
            throw .envelopeInvalid("CKA_ID is not lowercase hex")
        }
        var template: [Attribute] = [
            .class(objectClass), .keyType(keyType), .bool(.token, token), .label(label), .id(idBytes),
        ]
        for name in Self.booleanAttributes(for: self.objectClass) where name != .modifiable && !omitting.contains(name)
        {
            guard let value = flags[name] else {
                throw .envelopeInvalid("the template lacks \(name)")
            }
            let forced = name == .sensitive && self.objectClass.holdsSecretMaterial
            template.append(.bool(SpecNames.attributeType(name), forced ? true : value))
        }
        if let allowedMechanisms, !omitting.contains(.allowedMechanisms) {
            template.append(.allowedMechanisms(allowedMechanisms.map(MechanismType.init(rawValue:))))
        }
        if self.objectClass == .publicKey {
            for name in Self.publicAttributes(for: self.objectClass, keyType: self.keyType) {
                guard let value = publicAttributes[name].flatMap(Hex.decode) else {
                    throw .envelopeInvalid("the public key template lacks \(name)")
                }
                template.append(.bytes(SpecNames.attributeType(name), value))
            }
        }
        guard let modifiable = flags[.modifiable] else {
            throw .envelopeInvalid("the template lacks CKA_MODIFIABLE")
        }
        template.append(.bool(.modifiable, modifiable))
        return template
    }
}
