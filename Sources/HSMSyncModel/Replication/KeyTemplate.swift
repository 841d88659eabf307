/// The complete attribute template of one key object, as read from its source HSM: everything the
/// destination needs to recreate the object with the same policy, and nothing secret.
///
/// Every boolean attribute the object's class defines is recorded with an explicit value, so an
/// unwrap or create template built from it leaves nothing to token defaults (security rule R4;
/// SoftHSM2's defaults are permissive: usage flags and `CKA_MODIFIABLE` default to true).
public struct KeyTemplate: Sendable, Hashable, Codable {
    /// `secret-key`, `private-key` or `public-key`.
    public let objectClass: ObjectKind
    /// `aes`, `generic-secret`, `rsa`, `ec`.
    public let keyType: KeyAlgorithm
    public let label: String
    /// `CKA_ID` as lowercase hex.
    public let id: String
    /// Boolean attributes (`CKA_SIGN`, `CKA_EXTRACTABLE`, …), every one the class defines.
    public let flags: [AttributeName: Bool]
    /// `CKA_ALLOWED_MECHANISMS` as raw mechanism numbers, when the object restricts them.
    public let allowedMechanisms: [UInt]?
    /// Public attributes, hex: `CKA_EC_PARAMS`, `CKA_EC_POINT`, `CKA_MODULUS`, `CKA_PUBLIC_EXPONENT`
    /// (public keys; the parameters of private keys).
    public let publicAttributes: [AttributeName: String]
    /// The secret key's length in bytes when the token says (`CKA_VALUE_LEN`; SoftHSM2 reports 0 for
    /// keys it unwrapped, kept as `nil`).
    public let valueLength: Int?

    public init(
        objectClass: ObjectKind, keyType: KeyAlgorithm, label: String, id: String, flags: [AttributeName: Bool],
        allowedMechanisms: [UInt]?, publicAttributes: [AttributeName: String], valueLength: Int?
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
    public func flag(_ name: AttributeName) -> Bool {
        flags[name] ?? false
    }

    /// The usages the template allows, by their short names (`encrypt`, `unwrap`).
    public var usage: [String] {
        AttributeName.usages.compactMap { flag($0.attribute) ? $0.usage : nil }
    }
}

extension KeyTemplate {
    /// The boolean attributes replicated per class. `CKA_TOKEN` is not among them (staging sets it),
    /// nor `CKA_TRUSTED` (only the SO may set it), nor provenance (`CKA_LOCAL`, …: no copy keeps it).
    /// Not carried either: `CKA_START_DATE`/`CKA_END_DATE`, `CKA_SUBJECT` (informational only).
    public static func booleanAttributes(for objectClass: ObjectKind) -> [AttributeName] {
        let common: [AttributeName] = [.private, .modifiable, .copyable, .destroyable]
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
    public static func publicAttributes(for objectClass: ObjectKind, keyType: KeyAlgorithm) -> [AttributeName] {
        switch (objectClass, keyType) {
        case (.publicKey, .ec): return [.ecParams, .ecPoint]
        case (.publicKey, .rsa): return [.modulus, .publicExponent]
        case (.privateKey, .ec): return [.ecParams]
        case (.privateKey, .rsa): return [.modulus, .publicExponent]
        default: return []
        }
    }

    /// The classes hsmsync replicates.
    public static let replicatedClasses: Set<ObjectKind> = [.secretKey, .privateKey, .publicKey]

    /// Whether hsmsync replicates objects of this class and key type.
    public var isReplicable: Bool {
        Self.replicatedClasses.contains(objectClass) && KeyAlgorithm.replicable.contains(keyType)
    }

    /// The SHA-256 of the DER SubjectPublicKeyInfo built from the public attributes, when they allow it.
    public var publicKeyFingerprint: String? {
        switch keyType {
        case .rsa:
            guard let modulus = publicAttributes[.modulus].flatMap(Hex.decode),
                let exponent = publicAttributes[.publicExponent].flatMap(Hex.decode),
                let spki = try? SubjectPublicKeyInfo.rsa(modulus: modulus, publicExponent: exponent)
            else { return nil }
            return SubjectPublicKeyInfo.fingerprint(spki)
        case .ec:
            guard let parameters = publicAttributes[.ecParams].flatMap(Hex.decode),
                let point = publicAttributes[.ecPoint].flatMap(Hex.decode),
                let curve = NamedCurve.from(ecParams: parameters), let raw = curve.rawPoint(from: point),
                let spki = try? SubjectPublicKeyInfo.ec(curve: curve, rawPoint: raw)
            else { return nil }
            return SubjectPublicKeyInfo.fingerprint(spki)
        default:
            return nil
        }
    }

    /// How a destination object read back differs from this template (security rule R5: at least
    /// as restrictive; hsmsync asks for exactly the same, so any difference is refused).
    ///
    /// - Returns: one phrase per difference; empty when the object matches.
    public func differences(from readBack: KeyTemplate) -> [String] {
        var problems: [String] = []
        if readBack.objectClass != objectClass { problems.append("class \(readBack.objectClass) ≠ \(objectClass)") }
        if readBack.keyType != keyType { problems.append("key type \(readBack.keyType) ≠ \(keyType)") }
        if readBack.label != label { problems.append("label differs") }
        if readBack.id != id { problems.append("CKA_ID differs") }
        for (name, expected) in flags.sorted(by: { $0.key < $1.key }) {
            let wanted = name == .sensitive && objectClass.holdsSecretMaterial ? true : expected
            let actual = readBack.flags[name]
            if actual != wanted {
                problems.append("\(name) is \(actual.map { String($0) } ?? "absent"), expected \(wanted)")
            }
        }
        if readBack.allowedMechanisms != allowedMechanisms { problems.append("CKA_ALLOWED_MECHANISMS differs") }
        for (name, value) in publicAttributes.sorted(by: { $0.key < $1.key })
        where readBack.publicAttributes[name] != value {
            problems.append("\(name) differs")
        }
        return problems
    }
}
