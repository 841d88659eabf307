import HSMSyncModel
public import PKCS11
import SignedLog

/// A key's or object's complete attribute template as a backup bundle records it: every attribute
/// hsmsync needs to recreate the object with the same policy, by spec name (`CKA_LABEL`), never
/// secret material.
///
/// The JSON form is one object whose member names are spec names and whose value kinds follow
/// ``BackupAttributeKind`` (docs/backup-format.md). Unknown names are refused, so a bundle cannot
/// smuggle an attribute hsmsync would not set knowingly.
public struct BackupTemplate: Sendable, Hashable {
    /// The attributes by spec name.
    public private(set) var values: [String: BackupAttributeValue]

    public init(values: [String: BackupAttributeValue] = [:]) {
        self.values = values
    }

    /// The value of `name`, if recorded.
    public subscript(name: String) -> BackupAttributeValue? {
        get { values[name] }
        set { values[name] = newValue }
    }

    /// A boolean attribute, if recorded.
    public func bool(_ name: String) -> Bool? {
        if case .bool(let value) = values[name] { return value }
        return nil
    }

    /// A byte-string attribute, if recorded.
    public func bytes(_ name: String) -> [UInt8]? {
        if case .bytes(let value) = values[name] { return value }
        return nil
    }

    /// `CKA_CLASS` as the short name reports use (`secret-key`).
    public var objectClass: String? {
        if case .name(let value) = values["CKA_CLASS"] { return value }
        return nil
    }

    /// `CKA_KEY_TYPE` as the short name reports use (`aes`).
    public var keyType: String? {
        if case .name(let value) = values["CKA_KEY_TYPE"] { return value }
        return nil
    }

    /// `CKA_LABEL`.
    public var label: String? {
        if case .text(let value) = values["CKA_LABEL"] { return value }
        return nil
    }

    /// `CKA_ID` as lowercase hex.
    public var id: String? { bytes("CKA_ID")?.hexString }

    /// The identity (class, label, CKA_ID) the template gives.
    public var identity: KeyIdentity {
        KeyIdentity(objectClass: objectClass ?? "unknown", label: label ?? "", id: id ?? "")
    }

    /// The template as PKCS#11 attributes, in table order with `CKA_MODIFIABLE` last (SoftHSM2
    /// refuses every attribute after `CKA_MODIFIABLE=false` in an unwrap template).
    ///
    /// - Parameters:
    ///   - only: the spec names to include (`nil`: all recorded).
    ///   - overrides: values that replace recorded ones (`CKA_TOKEN=false` for staging).
    public func attributes(only: Set<String>? = nil, overrides: [String: BackupAttributeValue] = [:])
        -> [Attribute]
    {
        var result: [Attribute] = []
        var modifiable: Attribute?
        for entry in BackupAttributeTable.entries {
            guard only?.contains(entry.name) ?? true,
                let value = overrides[entry.name] ?? values[entry.name],
                let attribute = entry.attribute(value)
            else { continue }
            if entry.type == .modifiable {
                modifiable = attribute
            } else {
                result.append(attribute)
            }
        }
        if let modifiable { result.append(modifiable) }
        return result
    }
}

/// One recorded attribute value.
public enum BackupAttributeValue: Sendable, Hashable {
    /// A `CK_BBOOL`.
    case bool(Bool)
    /// A `CK_ULONG` (`CKA_CERTIFICATE_TYPE`).
    case number(UInt)
    /// A byte string (hex in JSON).
    case bytes([UInt8])
    /// A UTF-8 string (`CKA_LABEL`).
    case text(String)
    /// A class or key type by its short name (`secret-key`, `aes`).
    case name(String)
    /// `CKA_ALLOWED_MECHANISMS`: mechanism numbers.
    case mechanisms([UInt])
}

/// The kind of JSON value an attribute is written as.
public enum BackupAttributeKind: Sendable, Hashable {
    case bool, number, bytes, text, objectClass, keyType, mechanisms
}

/// Every attribute a bundle may carry, with its kind: the one table reading, writing, restoring
/// and documenting use.
public enum BackupAttributeTable {
    public struct Entry: Sendable {
        public let name: String
        public let type: AttributeType
        public let kind: BackupAttributeKind

        /// The PKCS#11 attribute for `value`, or `nil` when the value has the wrong kind or an
        /// unknown class/type name.
        func attribute(_ value: BackupAttributeValue) -> Attribute? {
            switch (kind, value) {
            case (.bool, .bool(let flag)): return .bool(type, flag)
            case (.number, .number(let number)): return .ulong(type, number)
            case (.bytes, .bytes(let bytes)): return .bytes(type, bytes)
            case (.text, .text(let text)): return .string(type, text)
            case (.objectClass, .name(let name)):
                return BackupAttributeTable.objectClasses[name].map { .class($0) }
            case (.keyType, .name(let name)):
                return BackupAttributeTable.keyTypes[name].map { .keyType($0) }
            case (.mechanisms, .mechanisms(let numbers)):
                return .allowedMechanisms(numbers.map { MechanismType(rawValue: $0) })
            default: return nil
            }
        }
    }

    /// The classes a bundle may hold.
    public static let objectClasses: [String: ObjectClass] = [
        "secret-key": .secretKey, "private-key": .privateKey, "public-key": .publicKey, "certificate": .certificate,
    ]

    /// The key types a bundle may hold.
    public static let keyTypes: [String: KeyType] = [
        "aes": .aes, "generic-secret": .genericSecret, "rsa": .rsa, "ec": .ec, "ec-edwards": .ecEdwards,
    ]

    public static let entries: [Entry] = [
        Entry(name: "CKA_CLASS", type: .class, kind: .objectClass),
        Entry(name: "CKA_KEY_TYPE", type: .keyType, kind: .keyType),
        Entry(name: "CKA_CERTIFICATE_TYPE", type: .certificateType, kind: .number),
        Entry(name: "CKA_TOKEN", type: .token, kind: .bool),
        Entry(name: "CKA_PRIVATE", type: .private, kind: .bool),
        Entry(name: "CKA_LABEL", type: .label, kind: .text),
        Entry(name: "CKA_ID", type: .id, kind: .bytes),
        Entry(name: "CKA_COPYABLE", type: .copyable, kind: .bool),
        Entry(name: "CKA_DESTROYABLE", type: .destroyable, kind: .bool),
        Entry(name: "CKA_SENSITIVE", type: .sensitive, kind: .bool),
        Entry(name: "CKA_EXTRACTABLE", type: .extractable, kind: .bool),
        Entry(name: "CKA_WRAP_WITH_TRUSTED", type: .wrapWithTrusted, kind: .bool),
        Entry(name: "CKA_ENCRYPT", type: .encrypt, kind: .bool),
        Entry(name: "CKA_DECRYPT", type: .decrypt, kind: .bool),
        Entry(name: "CKA_SIGN", type: .sign, kind: .bool),
        Entry(name: "CKA_VERIFY", type: .verify, kind: .bool),
        Entry(name: "CKA_SIGN_RECOVER", type: .signRecover, kind: .bool),
        Entry(name: "CKA_VERIFY_RECOVER", type: .verifyRecover, kind: .bool),
        Entry(name: "CKA_WRAP", type: .wrap, kind: .bool),
        Entry(name: "CKA_UNWRAP", type: .unwrap, kind: .bool),
        Entry(name: "CKA_DERIVE", type: .derive, kind: .bool),
        Entry(name: "CKA_ALWAYS_AUTHENTICATE", type: .alwaysAuthenticate, kind: .bool),
        Entry(name: "CKA_ALLOWED_MECHANISMS", type: .allowedMechanisms, kind: .mechanisms),
        Entry(name: "CKA_MODULUS", type: .modulus, kind: .bytes),
        Entry(name: "CKA_PUBLIC_EXPONENT", type: .publicExponent, kind: .bytes),
        Entry(name: "CKA_EC_PARAMS", type: .ecParams, kind: .bytes),
        Entry(name: "CKA_EC_POINT", type: .ecPoint, kind: .bytes),
        Entry(name: "CKA_SUBJECT", type: .subject, kind: .bytes),
        Entry(name: "CKA_ISSUER", type: .issuer, kind: .bytes),
        Entry(name: "CKA_SERIAL_NUMBER", type: .serialNumber, kind: .bytes),
        Entry(name: "CKA_VALUE", type: .value, kind: .bytes),
        Entry(name: "CKA_MODIFIABLE", type: .modifiable, kind: .bool),
    ]

    /// The entry named `name`.
    public static func entry(named name: String) -> Entry? {
        entries.first { $0.name == name }
    }

    /// What is read from a source object of each class (secret values are never read: a
    /// secret or private key's `CKA_VALUE` is not in its list).
    static func names(forClass objectClass: String) -> [String] {
        let common = [
            "CKA_CLASS", "CKA_TOKEN", "CKA_PRIVATE", "CKA_LABEL", "CKA_ID", "CKA_MODIFIABLE", "CKA_COPYABLE",
            "CKA_DESTROYABLE",
        ]
        switch objectClass {
        case "secret-key":
            return common + [
                "CKA_KEY_TYPE", "CKA_SENSITIVE", "CKA_EXTRACTABLE", "CKA_WRAP_WITH_TRUSTED", "CKA_ENCRYPT",
                "CKA_DECRYPT", "CKA_SIGN", "CKA_VERIFY", "CKA_WRAP", "CKA_UNWRAP", "CKA_DERIVE",
                "CKA_ALLOWED_MECHANISMS",
            ]
        case "private-key":
            return common + [
                "CKA_KEY_TYPE", "CKA_SENSITIVE", "CKA_EXTRACTABLE", "CKA_WRAP_WITH_TRUSTED", "CKA_DECRYPT", "CKA_SIGN",
                "CKA_SIGN_RECOVER", "CKA_UNWRAP", "CKA_DERIVE", "CKA_ALWAYS_AUTHENTICATE", "CKA_ALLOWED_MECHANISMS",
                "CKA_SUBJECT",
            ]
        case "public-key":
            return common + [
                "CKA_KEY_TYPE", "CKA_ENCRYPT", "CKA_VERIFY", "CKA_VERIFY_RECOVER", "CKA_WRAP", "CKA_DERIVE",
                "CKA_ALLOWED_MECHANISMS", "CKA_MODULUS", "CKA_PUBLIC_EXPONENT", "CKA_EC_PARAMS", "CKA_EC_POINT",
                "CKA_SUBJECT",
            ]
        case "certificate":
            return common + ["CKA_CERTIFICATE_TYPE", "CKA_SUBJECT", "CKA_ISSUER", "CKA_SERIAL_NUMBER", "CKA_VALUE"]
        default:
            return []
        }
    }

    /// What goes into the `C_UnwrapKey` template of a wrapped key: policy and identity only. Key
    /// material attributes (modulus, curve) come from the wrapped PKCS#8 itself, and
    /// `CKA_VALUE_LEN`/`CKA_CHECK_VALUE` are refused by SoftHSM2 in unwrap templates (P10, P24).
    static let unwrapNames: Set<String> = [
        "CKA_CLASS", "CKA_KEY_TYPE", "CKA_TOKEN", "CKA_PRIVATE", "CKA_LABEL", "CKA_ID", "CKA_COPYABLE",
        "CKA_DESTROYABLE", "CKA_SENSITIVE", "CKA_EXTRACTABLE", "CKA_WRAP_WITH_TRUSTED", "CKA_ENCRYPT", "CKA_DECRYPT",
        "CKA_SIGN", "CKA_VERIFY", "CKA_SIGN_RECOVER", "CKA_VERIFY_RECOVER", "CKA_WRAP", "CKA_UNWRAP", "CKA_DERIVE",
        "CKA_ALWAYS_AUTHENTICATE", "CKA_ALLOWED_MECHANISMS", "CKA_SUBJECT", "CKA_MODIFIABLE",
    ]
}

extension BackupTemplate {
    /// Reads the template of `object` (class `objectClass`) from the token: one
    /// `C_GetAttributeValue`; attributes the object lacks are left out.
    static func read(_ object: ObjectHandle, objectClass: String, session: borrowing Session) throws(PKCS11Error)
        -> BackupTemplate
    {
        let entries = BackupAttributeTable.names(forClass: objectClass).compactMap(BackupAttributeTable.entry(named:))
        let set = try session.attributes(entries.map(\.type), of: object)
        var template = BackupTemplate()
        for entry in entries {
            guard let bytes = set.bytes(entry.type) else { continue }
            switch entry.kind {
            case .bool:
                if let flag = set.bool(entry.type) { template[entry.name] = .bool(flag) }
            case .number:
                if let number = set.ulong(entry.type) { template[entry.name] = .number(number) }
            case .bytes:
                template[entry.name] = .bytes(bytes)
            case .text:
                template[entry.name] = .text(String(decoding: bytes, as: UTF8.self))
            case .objectClass:
                template[entry.name] = .name(SpecNames.objectClass(set.objectClass))
            case .keyType:
                if let keyType = set.keyType { template[entry.name] = .name(SpecNames.keyType(keyType)) }
            case .mechanisms:
                if let mechanisms = set.allowedMechanisms, !mechanisms.isEmpty {
                    template[entry.name] = .mechanisms(mechanisms.map(\.rawValue))
                }
            }
        }
        return template
    }
}
