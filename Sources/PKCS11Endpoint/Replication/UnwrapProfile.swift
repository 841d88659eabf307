public import HSMSyncModel
public import PKCS11

/// How one destination token takes a replicated key, from its ``TokenCapabilities``: the mechanism
/// that carries out the envelope's wrap method there, the attributes it refuses on token objects,
/// and whether an EC private key needs its public value in the unwrap template.
public struct UnwrapProfile: Sendable {
    public let mechanism: Mechanism
    public let refused: Set<AttributeName>
    public let ecNeedsPublicValue: Bool

    public init(mechanism: Mechanism, refused: Set<AttributeName> = [], ecNeedsPublicValue: Bool = false) {
        self.mechanism = mechanism
        self.refused = refused
        self.ecNeedsPublicValue = ecNeedsPublicValue
    }

    /// The profile for an envelope wrapped with `envelopeMechanism`, on a token with `capabilities`.
    ///
    /// - Throws: ``ReplicationError/unsupportedKey(_:reason:)`` when the token has no mechanism for
    ///   the envelope's method (the plan negotiates one both sides have; an envelope from elsewhere
    ///   may not).
    public init(envelopeMechanism: MechanismName, capabilities: TokenCapabilities, hsm: String, key: String)
        throws(ReplicationError)
    {
        guard let method = WrapMethod(envelopeMechanism: envelopeMechanism),
            let name = capabilities.mechanism(for: method), let type = SpecNames.mechanismType(name)
        else {
            throw .unsupportedKey(key, reason: "\(hsm) cannot unwrap \(envelopeMechanism) envelopes")
        }
        self.init(
            mechanism: Mechanism(type), refused: capabilities.refused,
            ecNeedsPublicValue: capabilities.ecUnwrapNeedsPublicValue)
    }

    /// The unwrap template for `envelope`'s key on this token.
    func unwrapTemplate(_ envelope: KeyEnvelope, token: Bool) throws(ReplicationError) -> [Attribute] {
        var template = try envelope.key.attributes(token: token, omitting: refused)
        if ecNeedsPublicValue, envelope.key.objectClass == .privateKey, envelope.key.keyType == .ec {
            guard
                let value = VendorAttribute.ecPublicValue(
                    ecParamsHex: envelope.key.publicAttributes[.ecParams],
                    ecPointHex: envelope.publicKey?.publicAttributes[.ecPoint])
            else {
                throw .envelopeInvalid("the EC private key's public point does not decode")
            }
            // Before CKA_MODIFIABLE, which stays last (SoftHSM2 applies templates in order).
            template.insert(value, at: template.count - 1)
        }
        return template
    }
}
