public import HSMSyncModel
public import PKCS11
import SignedLog

extension Session {
    /// Reads the complete replication template of `object` (one `C_GetAttributeValue`).
    ///
    /// An attribute in `refused` (the token does not store it on token objects) is recorded as the
    /// token behaves without it (``KeyTemplate/valuesWhenAbsent``), whatever the read says.
    ///
    /// - Throws: ``ReplicationError/unsupportedKey(_:reason:)`` for classes or key types hsmsync does
    ///   not replicate, or attributes the token will not reveal; ``PKCS11Error`` when the read fails.
    public func keyTemplate(of object: ObjectHandle, refused: Set<AttributeName> = []) throws -> KeyTemplate {
        let head = try attributes([.class, .keyType, .label, .id], of: object)
        let label = head.string(.label) ?? ""
        let id = (head.bytes(.id) ?? []).hexString
        let name = "\"\(label)\" (id \(id.isEmpty ? "none" : id))"
        let className = SpecNames.objectKind(head.objectClass)
        guard KeyTemplate.replicatedClasses.contains(className) else {
            throw ReplicationError.unsupportedKey(name, reason: "only secret, private and public keys are replicated")
        }
        guard let keyType = head.keyType, KeyAlgorithm.replicable.contains(SpecNames.keyAlgorithm(keyType)) else {
            throw ReplicationError.unsupportedKey(
                name, reason: "key type \(head.keyType?.description ?? "unknown") is not replicated")
        }
        let typeName = SpecNames.keyAlgorithm(keyType)
        let booleans = KeyTemplate.booleanAttributes(for: className)
        let publics = KeyTemplate.publicAttributes(for: className, keyType: typeName)
        let set = try attributes(
            (booleans + publics).map(SpecNames.attributeType) + [.allowedMechanisms, .valueLength, .trusted],
            of: object)
        var flags: [AttributeName: Bool] = [:]
        for attribute in booleans {
            if refused.contains(attribute), let value = KeyTemplate.valuesWhenAbsent[attribute] {
                flags[attribute] = value
                continue
            }
            let type = SpecNames.attributeType(attribute)
            // An attribute the token does not know on this key (CKR_ATTRIBUTE_TYPE_INVALID) has its
            // PKCS#11 default; one it will not reveal stops the copy.
            let absent = set[type] == .invalid ? KeyTemplate.valuesWhenAbsent[attribute] : nil
            guard let value = set.bool(type) ?? absent else {
                throw ReplicationError.unsupportedKey(name, reason: "\(attribute) cannot be read")
            }
            flags[attribute] = value
        }
        if set.bool(.trusted) == true {
            throw ReplicationError.unsupportedKey(
                name, reason: "CKA_TRUSTED is set, and only a security officer may set it on a copy")
        }
        var publicAttributes: [AttributeName: String] = [:]
        for attribute in publics {
            guard let value = set.bytes(SpecNames.attributeType(attribute)) else {
                throw ReplicationError.unsupportedKey(name, reason: "\(attribute) cannot be read")
            }
            publicAttributes[attribute] = value.hexString
        }
        let reported = className == .secretKey ? set.ulong(.valueLength) : nil
        let length: Int? = reported.flatMap { $0 > 0 ? Int($0) : nil }
        return KeyTemplate(
            objectClass: className, keyType: typeName, label: label, id: id, flags: flags,
            allowedMechanisms: refused.contains(.allowedMechanisms)
                ? nil : set.allowedMechanisms.flatMap { $0.isEmpty ? nil : $0.map(\.rawValue) },
            publicAttributes: publicAttributes,
            valueLength: length)
    }
}
