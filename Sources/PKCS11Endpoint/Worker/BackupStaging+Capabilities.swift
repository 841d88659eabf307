import Crypto
import HSMSyncModel
import PKCS11

/// What a restore needs from the target token's capabilities: the mechanism for the bundle's wrap
/// method there, the attributes it refuses, an EC private key's public value where the token needs
/// it, usage flags it turned on at unwrap turned off again, and a private key that re-wraps to other
/// bytes (another implementation's PKCS#8) proven by signing instead.
struct BackupUnwrap {
    /// The same profile replication unwraps envelopes with; a bundle's template is another type.
    let profile: UnwrapProfile
    var mechanism: Mechanism { profile.mechanism }
    var refused: Set<AttributeName> { profile.refused }

    init(_ key: BackupWrappedKey, capabilities: TokenCapabilities) throws(ReplicationError) {
        profile = try UnwrapProfile(
            envelopeMechanism: key.mechanism, capabilities: capabilities, hsm: "the target",
            key: key.template.identity.description)
    }

    /// The unwrap template: the bundle's, less what the token refuses, plus the public value an EC
    /// private key needs there (read from the key's public object, restored just before).
    func template(
        _ key: BackupWrappedKey, token: Bool, session: borrowing Session
    ) throws -> [Attribute] {
        var template = key.template.attributes(
            only: BackupAttributeTable.unwrapNames.subtracting(refused),
            overrides: token ? [:] : [.token: .bool(false)])
        if profile.ecNeedsPublicValue, key.template.objectClass == .privateKey, key.template.keyType == .ec {
            let publicKey = try session.publicKey(of: key.template).map {
                try session.attributes([.ecPoint, .ecParams], of: $0)
            }
            guard
                let value = VendorAttribute.ecPublicValue(
                    ecParamsHex: publicKey?.bytes(.ecParams)?.hexString,
                    ecPointHex: publicKey?.bytes(.ecPoint)?.hexString)
            else {
                throw ReplicationError.unsupportedKey(
                    key.template.identity.description,
                    reason: "the target needs the EC public point to unwrap it, and its public key object is missing")
            }
            template.insert(value, at: template.count - 1)
        }
        return template
    }

    /// Turns off the boolean attributes the bundle records as false that the token turned on.
    func narrow(_ object: ObjectHandle, _ expected: BackupTemplate, objectClass: ObjectKind, session: borrowing Session)
        throws
    {
        guard expected.bool(.modifiable) != false else { return }
        let actual = try BackupTemplate.read(object, objectClass: objectClass, session: session)
        let widened = expected.values.keys.sorted().filter { name in
            name != .modifiable && name != .token && !refused.contains(name) && expected.bool(name) == false
                && actual.bool(name) == true
        }
        guard !widened.isEmpty else { return }
        try session.setAttributes(widened.map { .bool(SpecNames.attributeType($0), false) }, of: object)
    }

    /// The proof for a private key that re-wraps to other bytes than the bundle's: it signs what its
    /// public key object on the token verifies.
    func provePairing(_ staged: ObjectHandle, _ key: BackupWrappedKey, session: borrowing Session) throws -> String? {
        guard key.template.objectClass == .privateKey, key.template.bool(.sign) == true,
            let publicKey = try session.publicKey(of: key.template)
        else { return nil }
        let digest = Array(SHA256.hash(data: Array("hsmsync/restore/pairing-check/v1".utf8)))
        let mechanism =
            key.template.keyType == .ec ? Mechanism.ecdsa : Mechanism(.sha256RSAPKCS)
        let signature = try session.sign(digest, with: staged, mechanism: mechanism)
        guard try session.verify(digest, signature: signature, with: publicKey, mechanism: mechanism) else {
            return nil
        }
        return "signs what its public key object verifies (the token encodes the private key otherwise)"
    }
}

extension Session {
    /// The public key object with the template's label and `CKA_ID` on the token, if exactly one.
    func publicKey(of template: BackupTemplate) throws -> ObjectHandle? {
        var match: [Attribute] = [.class(.publicKey), .bool(.token, true)]
        if let label = template.label { match.append(.label(label)) }
        if let id = template.bytes(.id) { match.append(.id(id)) }
        let found = try findObjects(matching: match)
        return found.count == 1 ? found[0] : nil
    }
}
