import HSMSyncModel
import PKCS11

extension Session {
    /// Whether unwrapping an EC private key on this token needs its public value
    /// (``VendorAttribute/publicValue``): a session P-256 key pair is wrapped with `mechanism` (RFC 5649
    /// here) under a session key and unwrapped again, first without the value, then with it.
    ///
    /// - Returns: `true` when only the unwrap with the value works; `false` when the plain one does
    ///   (or the probe cannot tell: then the unwrap fails later with the token's own error).
    func ecUnwrapNeedsPublicValue(mechanism: MechanismType) -> Bool {
        let p256 = NamedCurve.all[0]
        let session: [Attribute] = [.bool(.token, false)]
        do {
            let pair = try generateKeyPair(
                .ecKeyPairGen,
                publicKeyTemplate: session + [.bytes(.ecParams, p256.oidDER), .bool(.verify, true)],
                privateKeyTemplate: session + [
                    .bool(.private, true), .bool(.sensitive, true), .bool(.extractable, true), .bool(.sign, true),
                ])
            defer {
                try? destroyObject(pair.privateKey)
                try? destroyObject(pair.publicKey)
            }
            let kek = try generateKey(
                .aesKeyGen,
                template: session + [
                    .class(.secretKey), .keyType(.aes), .ulong(.valueLength, 32), .bool(.wrap, true),
                    .bool(.unwrap, true),
                ])
            defer { try? destroyObject(kek) }
            let blob = try wrapKey(pair.privateKey, with: kek, mechanism: Mechanism(mechanism))
            // No CKA_EC_PARAMS: the PKCS#8 carries the curve, and SoftHSM2 refuses it in an unwrap
            // template (CKR_ATTRIBUTE_READ_ONLY, leaving a ghost session object behind).
            let template: [Attribute] =
                session + [.class(.privateKey), .keyType(.ec), .bool(.sign, true), .bool(.sensitive, true)]
            do {
                let plain = try unwrapKey(blob, with: kek, mechanism: Mechanism(mechanism), template: template)
                try? destroyObject(plain)
                return false
            } catch  where error.code == .templateIncomplete {
                let point = try attributes([.ecPoint], of: pair.publicKey).bytes(.ecPoint) ?? []
                guard let raw = p256.rawPoint(from: point) else { return false }
                let withValue = try unwrapKey(
                    blob, with: kek, mechanism: Mechanism(mechanism),
                    template: template + [.bytes(VendorAttribute.publicValue, raw)])
                try? destroyObject(withValue)
                return true
            }
        } catch {
            return false
        }
    }
}
