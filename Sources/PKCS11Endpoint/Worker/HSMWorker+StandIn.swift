public import HSMSyncModel
import PKCS11
import SecureMemory

/// A rehearsal's stand-ins on a scratch token (``KeyAdministrationEndpoint/createStandIn(for:material:)``).
extension HSMWorker {
    public func createStandIn(for record: KeyRecord, material: StandInMaterial?) throws -> Bool {
        try Self.device { try withSession { try Self.standIn(for: record, material: material, in: $0) } }
    }

    /// The templates of one stand-in: its private (or secret) part and, for a key pair, its public part.
    struct StandInTemplates {
        let identity: [Attribute]
        let privatePart: [Attribute]
        let publicPart: [Attribute]

        init(_ record: KeyRecord) {
            identity =
                [.bool(.token, true), .label(record.label ?? "")]
                + (record.id.flatMap { Hex.decode($0) }.map { [.id($0)] } ?? [])
            // Every usage flag the class defines, as the real key has it: SoftHSM2's defaults allow
            // everything, and a stand-in with more usages than its real key is refused by the policy
            // the rehearsal exists to exercise.
            let usages: [(AttributeType, String)] =
                record.objectClass == "secret-key"
                ? [
                    (.encrypt, "encrypt"), (.decrypt, "decrypt"), (.sign, "sign"), (.verify, "verify"),
                    (.wrap, "wrap"), (.unwrap, "unwrap"), (.derive, "derive"),
                ]
                : [
                    (.decrypt, "decrypt"), (.sign, "sign"), (.signRecover, "sign-recover"), (.unwrap, "unwrap"),
                    (.derive, "derive"),
                ]
            privatePart =
                identity + [
                    .bool(.private, true), .bool(.sensitive, true),
                    .bool(.extractable, record.attributes.extractable ?? false),
                    .bool(.wrapWithTrusted, record.attributes.wrapWithTrusted ?? false),
                ] + usages.map { .bool($0.0, record.usage.contains($0.1)) }
            publicPart = [
                .bool(.verify, true), .bool(.encrypt, false), .bool(.wrap, false), .bool(.verifyRecover, false),
                .bool(.derive, false),
            ]
        }
    }

    /// Makes one stand-in (for a private key: the key pair) from `material`, or generates it in the
    /// token without; `false` for a type it cannot make, or material of another type.
    static func standIn(for record: KeyRecord, material: StandInMaterial?, in session: borrowing Session) throws
        -> Bool
    {
        let parts = StandInTemplates(record)
        let curve = NamedCurve.all.first { $0.name == record.curve && !$0.isEdwards }
        switch (record.objectClass, record.keyType, material) {
        case ("secret-key", "aes", .secret(let value)):
            _ = try session.createObject(
                parts.privatePart + [.class(.secretKey), .keyType(.aes)], secrets: [(.value, value)])
        case ("secret-key", "aes", nil):
            _ = try session.generateKey(
                .aesKeyGen,
                template: parts.privatePart + [
                    .class(.secretKey), .keyType(.aes), .ulong(.valueLength, UInt((record.size ?? 256) / 8)),
                ])
        case ("private-key", "ec", .ec(let scalar, let point)):
            guard let curve else { return false }
            let ec: [Attribute] = [.keyType(.ec), .bytes(.ecParams, curve.oidDER)]
            _ = try session.createObject(parts.privatePart + [.class(.privateKey)] + ec, secrets: [(.value, scalar)])
            _ = try session.createObject(
                parts.identity + [.class(.publicKey), .bool(.private, false), .bytes(.ecPoint, octetString(point))]
                    + ec + parts.publicPart)
        case ("private-key", "ec", nil):
            guard let curve else { return false }
            _ = try session.generateKeyPair(
                .ecKeyPairGen,
                publicKeyTemplate: parts.identity + [.bytes(.ecParams, curve.oidDER)] + parts.publicPart,
                privateKeyTemplate: parts.privatePart)
        case ("private-key", "rsa", .rsa(let modulus, let exponent, let privateParts)):
            let types: [AttributeType] = [.privateExponent, .prime1, .prime2, .exponent1, .exponent2, .coefficient]
            guard privateParts.count == types.count else { return false }
            let rsa: [Attribute] = [.keyType(.rsa), .bytes(.modulus, modulus), .bytes(.publicExponent, exponent)]
            _ = try session.createObject(
                parts.privatePart + [.class(.privateKey)] + rsa,
                secrets: zip(types, privateParts).map { (type: $0, value: $1) })
            _ = try session.createObject(
                parts.identity + [.class(.publicKey), .bool(.private, false)] + rsa + parts.publicPart)
        case ("private-key", "rsa", nil):
            _ = try session.generateKeyPair(
                .rsaKeyPairGen,
                publicKeyTemplate: parts.identity + [
                    .ulong(.modulusBits, UInt(record.size ?? 2048)), .bytes(.publicExponent, [1, 0, 1]),
                ] + parts.publicPart,
                privateKeyTemplate: parts.privatePart)
        default:
            return false
        }
        return true
    }

    /// `CKA_EC_POINT` as PKCS#11 2.40 has it: the point in a DER OCTET STRING.
    private static func octetString(_ point: [UInt8]) -> [UInt8] {
        point.count < 0x80 ? [0x04, UInt8(point.count)] + point : [0x04, 0x81, UInt8(point.count)] + point
    }
}
