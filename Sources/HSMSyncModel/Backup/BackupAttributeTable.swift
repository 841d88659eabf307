/// Every attribute a bundle may carry, with its kind: the one table reading, writing, restoring
/// and documenting use.
public enum BackupAttributeTable {
    public struct Entry: Sendable {
        public let name: AttributeName
        public let kind: BackupAttributeKind

        package init(name: AttributeName, kind: BackupAttributeKind) {
            self.name = name
            self.kind = kind
        }
    }

    /// The classes a bundle may hold.
    public static let objectClasses: Set<ObjectKind> = [.secretKey, .privateKey, .publicKey, .certificate]

    /// The key types a bundle may hold.
    public static let keyTypes: Set<KeyAlgorithm> = [.aes, .genericSecret, .rsa, .ec, .ecEdwards]

    /// In table order, which is the order templates are built in (`CKA_MODIFIABLE` last).
    public static let entries: [Entry] = [
        Entry(name: .class, kind: .objectClass), Entry(name: .keyType, kind: .keyType),
        Entry(name: .certificateType, kind: .number), Entry(name: .token, kind: .bool),
        Entry(name: .private, kind: .bool), Entry(name: .label, kind: .text), Entry(name: .id, kind: .bytes),
        Entry(name: .copyable, kind: .bool), Entry(name: .destroyable, kind: .bool),
        Entry(name: .sensitive, kind: .bool), Entry(name: .extractable, kind: .bool),
        Entry(name: .wrapWithTrusted, kind: .bool), Entry(name: .encrypt, kind: .bool),
        Entry(name: .decrypt, kind: .bool), Entry(name: .sign, kind: .bool), Entry(name: .verify, kind: .bool),
        Entry(name: .signRecover, kind: .bool), Entry(name: .verifyRecover, kind: .bool),
        Entry(name: .wrap, kind: .bool), Entry(name: .unwrap, kind: .bool), Entry(name: .derive, kind: .bool),
        Entry(name: .alwaysAuthenticate, kind: .bool), Entry(name: .allowedMechanisms, kind: .mechanisms),
        Entry(name: .modulus, kind: .bytes), Entry(name: .publicExponent, kind: .bytes),
        Entry(name: .ecParams, kind: .bytes), Entry(name: .ecPoint, kind: .bytes), Entry(name: .subject, kind: .bytes),
        Entry(name: "CKA_ISSUER", kind: .bytes), Entry(name: "CKA_SERIAL_NUMBER", kind: .bytes),
        Entry(name: .value, kind: .bytes), Entry(name: .modifiable, kind: .bool),
    ]

    /// The entry named `name`.
    public static func entry(named name: AttributeName) -> Entry? {
        entries.first { $0.name == name }
    }

    /// What is read from a source object of each class (secret values are never read: a
    /// secret or private key's `CKA_VALUE` is not in its list).
    public static func names(forClass objectClass: ObjectKind) -> [AttributeName] {
        let common: [AttributeName] = [.class, .token, .private, .label, .id, .modifiable, .copyable, .destroyable]
        switch objectClass {
        case .secretKey:
            return common + [
                .keyType, .sensitive, .extractable, .wrapWithTrusted, .encrypt, .decrypt, .sign, .verify, .wrap,
                .unwrap, .derive, .allowedMechanisms,
            ]
        case .privateKey:
            return common + [
                .keyType, .sensitive, .extractable, .wrapWithTrusted, .decrypt, .sign, .signRecover, .unwrap, .derive,
                .alwaysAuthenticate, .allowedMechanisms, .subject,
            ]
        case .publicKey:
            return common + [
                .keyType, .encrypt, .verify, .verifyRecover, .wrap, .derive, .allowedMechanisms, .modulus,
                .publicExponent, .ecParams, .ecPoint, .subject,
            ]
        case .certificate:
            return common + [.certificateType, .subject, "CKA_ISSUER", "CKA_SERIAL_NUMBER", .value]
        default:
            return []
        }
    }

    /// What goes into the `C_UnwrapKey` template of a wrapped key: policy and identity only. Key
    /// material attributes (modulus, curve) come from the wrapped PKCS#8 itself, and
    /// `CKA_VALUE_LEN`/`CKA_CHECK_VALUE` are refused by SoftHSM2 in unwrap templates (P10, P24).
    public static let unwrapNames: Set<AttributeName> = [
        .class, .keyType, .token, .private, .label, .id, .copyable, .destroyable, .sensitive, .extractable,
        .wrapWithTrusted, .encrypt, .decrypt, .sign, .verify, .signRecover, .verifyRecover, .wrap, .unwrap, .derive,
        .alwaysAuthenticate, .allowedMechanisms, .subject, .modifiable,
    ]
}
