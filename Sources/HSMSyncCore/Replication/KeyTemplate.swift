import Crypto
import HSMSyncModel
public import PKCS11
import SignedLog

/// The complete attribute template of one key object, as read from its source HSM: everything the
/// destination needs to recreate the object with the same policy, and nothing secret.
///
/// Every boolean attribute the object's class defines is recorded with an explicit value, so an
/// unwrap or create template built from it leaves nothing to token defaults (SECURITY.md R4;
/// SoftHSM2's defaults are permissive: usage flags and `CKA_MODIFIABLE` default to true).
public struct KeyTemplate: Sendable, Hashable, Codable {
    /// `secret-key`, `private-key` or `public-key`.
    public let objectClass: String
    /// `aes`, `generic-secret`, `rsa`, `ec`.
    public let keyType: String
    public let label: String
    /// `CKA_ID` as lowercase hex.
    public let id: String
    /// Boolean attributes by spec name (`CKA_SIGN`, `CKA_EXTRACTABLE`, …), every one the class defines.
    public let flags: [String: Bool]
    /// `CKA_ALLOWED_MECHANISMS` as raw mechanism numbers, when the object restricts them.
    public let allowedMechanisms: [UInt]?
    /// Public attributes by spec name, hex: `CKA_EC_PARAMS`, `CKA_EC_POINT`, `CKA_MODULUS`,
    /// `CKA_PUBLIC_EXPONENT` (public keys; the parameters of private keys).
    public let publicAttributes: [String: String]
    /// The secret key's length in bytes when the token says (`CKA_VALUE_LEN`; SoftHSM2 reports 0 for
    /// keys it unwrapped, kept as `nil`).
    public let valueLength: Int?

    public init(
        objectClass: String, keyType: String, label: String, id: String, flags: [String: Bool],
        allowedMechanisms: [UInt]?, publicAttributes: [String: String], valueLength: Int?
    ) {
        self.objectClass = objectClass
        self.keyType = keyType
        self.label = label
        self.id = id
        self.flags = flags
        self.allowedMechanisms = allowedMechanisms
        self.publicAttributes = publicAttributes
        self.valueLength = valueLength
    }

    /// The identity the drift engine uses for this object.
    public var identity: KeyIdentity { KeyIdentity(objectClass: objectClass, label: label, id: id) }

    /// A flag's value (`false` when absent: templates always carry every defined flag).
    public func flag(_ type: AttributeType) -> Bool {
        flags[type.description] ?? false
    }
}

extension KeyTemplate {
    /// The boolean attributes replicated per class. `CKA_TOKEN` is not among them (staging sets it),
    /// nor `CKA_TRUSTED` (only the SO may set it), nor provenance (`CKA_LOCAL`, …: no copy keeps it).
    /// Not carried either: `CKA_START_DATE`/`CKA_END_DATE`, `CKA_SUBJECT` (informational only).
    static func booleanAttributes(for objectClass: ObjectClass) -> [AttributeType] {
        let common: [AttributeType] = [.private, .modifiable, .copyable, .destroyable]
        switch objectClass {
        case .secretKey:
            return common + [
                .sensitive, .extractable, .wrapWithTrusted, .encrypt, .decrypt, .sign, .verify, .wrap, .unwrap,
                .derive,
            ]
        case .privateKey:
            return common + [
                .sensitive, .extractable, .wrapWithTrusted, .decrypt, .sign, .signRecover, .unwrap, .derive,
                .alwaysAuthenticate,
            ]
        case .publicKey:
            return common + [.encrypt, .verify, .verifyRecover, .wrap, .derive]
        default:
            return common
        }
    }

    /// The public attributes replicated per key type.
    static func publicAttributeTypes(for objectClass: ObjectClass, keyType: KeyType) -> [AttributeType] {
        switch (objectClass, keyType) {
        case (.publicKey, .ec): return [.ecParams, .ecPoint]
        case (.publicKey, .rsa): return [.modulus, .publicExponent]
        case (.privateKey, .ec): return [.ecParams]
        case (.privateKey, .rsa): return [.modulus, .publicExponent]
        default: return []
        }
    }

    static let classes: [String: ObjectClass] = [
        "secret-key": .secretKey, "private-key": .privateKey, "public-key": .publicKey,
    ]
    static let keyTypes: [String: KeyType] = ["aes": .aes, "generic-secret": .genericSecret, "rsa": .rsa, "ec": .ec]

    /// The class as the spec constant, when it is one hsmsync replicates.
    var specClass: ObjectClass? { Self.classes[objectClass] }
    /// The key type as the spec constant, when it is one hsmsync replicates.
    var specKeyType: KeyType? { Self.keyTypes[keyType] }

    /// The SHA-256 of the DER SubjectPublicKeyInfo built from the public attributes, when they allow it.
    var publicKeyFingerprint: String? {
        switch keyType {
        case "rsa":
            guard let modulus = publicAttributes["CKA_MODULUS"].flatMap(Hex.decode),
                let exponent = publicAttributes["CKA_PUBLIC_EXPONENT"].flatMap(Hex.decode),
                let spki = try? SubjectPublicKeyInfo.rsa(modulus: modulus, publicExponent: exponent)
            else { return nil }
            return SubjectPublicKeyInfo.fingerprint(spki)
        case "ec":
            guard let parameters = publicAttributes["CKA_EC_PARAMS"].flatMap(Hex.decode),
                let point = publicAttributes["CKA_EC_POINT"].flatMap(Hex.decode),
                let curve = NamedCurve.from(ecParams: parameters), let raw = curve.rawPoint(from: point),
                let spki = try? SubjectPublicKeyInfo.ec(curve: curve, rawPoint: raw)
            else { return nil }
            return SubjectPublicKeyInfo.fingerprint(spki)
        default:
            return nil
        }
    }
}

extension Session {
    /// Reads the complete replication template of `object` (one `C_GetAttributeValue`).
    ///
    /// - Throws: ``ReplicationError/unsupportedKey(_:reason:)`` for classes or key types hsmsync does
    ///   not replicate, or attributes the token will not reveal; ``PKCS11Error`` when the read fails.
    public func keyTemplate(of object: ObjectHandle) throws -> KeyTemplate {
        let head = try attributes([.class, .keyType, .label, .id], of: object)
        let label = head.string(.label) ?? ""
        let id = (head.bytes(.id) ?? []).hexString
        let name = "\"\(label)\" (id \(id.isEmpty ? "none" : id))"
        guard let objectClass = head.objectClass,
            let className = KeyTemplate.classes.first(where: { $0.value == objectClass })?.key
        else {
            throw ReplicationError.unsupportedKey(name, reason: "only secret, private and public keys are replicated")
        }
        guard let keyType = head.keyType, let typeName = KeyTemplate.keyTypes.first(where: { $0.value == keyType })?.key
        else {
            throw ReplicationError.unsupportedKey(
                name, reason: "key type \(head.keyType?.description ?? "unknown") is not replicated")
        }
        let booleans = KeyTemplate.booleanAttributes(for: objectClass)
        let publics = KeyTemplate.publicAttributeTypes(for: objectClass, keyType: keyType)
        let set = try attributes(booleans + publics + [.allowedMechanisms, .valueLength, .trusted], of: object)
        var flags: [String: Bool] = [:]
        for type in booleans {
            guard let value = set.bool(type) else {
                throw ReplicationError.unsupportedKey(name, reason: "\(type) cannot be read")
            }
            flags[type.description] = value
        }
        if set.bool(.trusted) == true {
            throw ReplicationError.unsupportedKey(
                name, reason: "CKA_TRUSTED is set, and only a security officer may set it on a copy")
        }
        var publicAttributes: [String: String] = [:]
        for type in publics {
            guard let value = set.bytes(type) else {
                throw ReplicationError.unsupportedKey(name, reason: "\(type) cannot be read")
            }
            publicAttributes[type.description] = value.hexString
        }
        let reported = objectClass == .secretKey ? set.ulong(.valueLength) : nil
        let length: Int? = reported.flatMap { $0 > 0 ? Int($0) : nil }
        return KeyTemplate(
            objectClass: className, keyType: typeName, label: label, id: id, flags: flags,
            allowedMechanisms: set.allowedMechanisms.flatMap { $0.isEmpty ? nil : $0.map(\.rawValue) },
            publicAttributes: publicAttributes,
            valueLength: length)
    }
}
