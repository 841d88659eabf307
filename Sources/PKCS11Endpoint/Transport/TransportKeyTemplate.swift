public import HSMSyncModel
public import PKCS11
import SignedLog

/// The attributes every transport key hsmsync creates carries (DESIGN.md "Transport key",
/// SECURITY.md R1, R2, R4): an AES-256 token key that may only wrap and unwrap, with
/// `CKM_AES_KEY_WRAP` and `CKM_AES_KEY_WRAP_PAD`, that never leaves the HSM and can never be changed.
public enum TransportKeyTemplate {
    /// The only mechanisms a transport key may be used with (`CKA_ALLOWED_MECHANISMS`).
    public static let allowedMechanisms: [MechanismType] = [.aesKeyWrap, .aesKeyWrapPad]

    /// What `CKA_UNWRAP_TEMPLATE` holds: every key unwrapped under the transport key must be
    /// sensitive, whatever the caller asks for (R4; it binds direct PKCS#11 callers too).
    ///
    /// `CKA_WRAP_WITH_TRUSTED=true` is deliberately not forced here: most deployed keys lack it and
    /// must still be replicable (issue 5); replication reports them as `policy` findings instead.
    public static let unwrapTemplate: [Attribute] = [.bool(.sensitive, true)]

    /// The full template for the transport key labelled `label`, without `CKA_VALUE`/`CKA_VALUE_LEN`
    /// (the import or derivation supplies the value).
    ///
    /// `CKA_MODIFIABLE=false` comes last on purpose: SoftHSM2 2.6.1 applies an unwrap or derive
    /// template in order and refuses every attribute after it (`CKR_ATTRIBUTE_READ_ONLY`), and
    /// `C_SetAttributeValue` cannot set it afterwards (verified).
    ///
    /// - Parameters:
    ///   - token: `false` for a session object (key confirmation before the token copy exists).
    ///   - omitting: attributes the token refuses on token objects (NSS softoken: `CKA_COPYABLE`,
    ///     `CKA_ALLOWED_MECHANISMS`); the audit reports each as a weaker policy on that HSM.
    public static func attributes(label: String, token: Bool = true, omitting: Set<AttributeName> = []) -> [Attribute] {
        let full: [Attribute] = [
            .class(.secretKey), .keyType(.aes), .bool(.token, token), .bool(.private, true), .label(label),
            .bool(.sensitive, true), .bool(.extractable, false), .bool(.copyable, false),
            .bool(.wrap, true), .bool(.unwrap, true), .bool(.encrypt, false), .bool(.decrypt, false),
            .bool(.sign, false), .bool(.verify, false), .bool(.derive, false),
            .allowedMechanisms(allowedMechanisms), .template(.unwrapTemplate, unwrapTemplate),
            .bool(.modifiable, false),
        ]
        let left = Set(omitting.map(SpecNames.attributeType))
        return full.filter { !left.contains($0.type) }
    }

    /// The lock-down rules of R2 and R4 that ``TransportKeyPolicy`` (R1) does not cover: allowed
    /// mechanisms restricted to key wrap, a private object, and an unwrap template forcing
    /// `CKA_SENSITIVE=true`.
    ///
    /// - Parameters:
    ///   - record: the key as the inventory read it.
    ///   - unwrapTemplate: its `CKA_UNWRAP_TEMPLATE` (`nil` when it has none).
    ///   - refused: attributes the token refuses on token objects: their absence is not a violation
    ///     (the audit reports it as a weaker policy).
    public static func lockdownViolations(
        _ record: KeyRecord, unwrapTemplate: [Attribute]?, refused: Set<AttributeName> = []
    ) -> [String] {
        var problems: [String] = []
        let allowed = Set(allowedMechanisms.map(\.description))
        if refused.contains(.allowedMechanisms) {
            // Nothing to check: the token cannot restrict mechanisms on a token key.
        } else if let mechanisms = record.allowedMechanisms {
            let extra = mechanisms.filter { !allowed.contains($0) }
            if !extra.isEmpty {
                problems.append(
                    "allows \(extra.joined(separator: ", ")) (CKA_ALLOWED_MECHANISMS may only hold CKM_AES_KEY_WRAP, "
                        + "CKM_AES_KEY_WRAP_PAD)")
            }
        } else {
            problems.append(
                "does not restrict its mechanisms (CKA_ALLOWED_MECHANISMS must be CKM_AES_KEY_WRAP, "
                    + "CKM_AES_KEY_WRAP_PAD)")
        }
        if record.attributes.private == false {
            problems.append("is not private (CKA_PRIVATE must be true)")
        }
        let sensitiveTrue = Attribute.bool(.sensitive, true)
        let forcesSensitive = unwrapTemplate?.contains { $0.type == .sensitive && $0.value == sensitiveTrue.value }
        if forcesSensitive != true && !refused.contains(.unwrapTemplate) {
            problems.append(
                "has no CKA_UNWRAP_TEMPLATE forcing CKA_SENSITIVE=true (keys unwrapped under it could be made readable)"
            )
        }
        return problems
    }
}
