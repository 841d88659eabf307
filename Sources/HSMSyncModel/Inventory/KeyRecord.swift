/// One object of one token, as the inventory read it: everything but secret material.
///
/// Boolean attributes are optional: `nil` when the object does not have the attribute (a public
/// key has no `CKA_SENSITIVE`) or the token would not say.
public struct KeyRecord: Sendable, Hashable, Codable {
    /// `secret-key`, `private-key`, `public-key`, `certificate`, `data`, `vendor-defined(0x…)`,
    /// `unknown` when the class could not be read.
    public let objectClass: ObjectKind
    /// `aes`, `rsa`, `ec`, `ec-edwards`, `generic-secret`, … (`nil` for objects that are not keys).
    public let keyType: KeyAlgorithm?
    /// Key size in bits (AES/generic: `CKA_VALUE_LEN`×8, RSA: modulus bits, EC: curve bits).
    public let size: Int?
    /// The named curve of an EC or Edwards key (`P-256`, `Ed25519`).
    public let curve: String?
    public let label: String?
    /// `CKA_ID` as lowercase hex.
    public let id: String?
    /// The usage flags set: `encrypt`, `decrypt`, `sign`, `verify`, `wrap`, `unwrap`, `derive`,
    /// `sign-recover`, `verify-recover`.
    public let usage: [String]
    public let attributes: PolicyAttributes
    public let provenance: Provenance
    /// `CKA_ALLOWED_MECHANISMS`, when the object restricts them.
    public let allowedMechanisms: [String]?
    public let fingerprint: Fingerprint
    /// Why the object is odd (no label, no value, vendor class, …); empty for a normal object.
    public let oddities: [String]
    /// The object's RFC 7512 PKCS#11 URI (token, serial, object label, id, type), set where it is shown
    /// (`inventory`); `nil` elsewhere.
    public var uri: String?

    /// The attributes that make up a key's policy; drift on any of them is an `attribute-mismatch`.
    public struct PolicyAttributes: Sendable, Hashable, Codable {
        public var token: Bool?
        public var `private`: Bool?
        public var modifiable: Bool?
        public var copyable: Bool?
        public var destroyable: Bool?
        public var sensitive: Bool?
        public var extractable: Bool?
        public var wrapWithTrusted: Bool?
        public var trusted: Bool?

        public init(
            token: Bool? = nil, private: Bool? = nil, modifiable: Bool? = nil, copyable: Bool? = nil,
            destroyable: Bool? = nil, sensitive: Bool? = nil, extractable: Bool? = nil, wrapWithTrusted: Bool? = nil,
            trusted: Bool? = nil
        ) {
            self.token = token
            self.private = `private`
            self.modifiable = modifiable
            self.copyable = copyable
            self.destroyable = destroyable
            self.sensitive = sensitive
            self.extractable = extractable
            self.wrapWithTrusted = wrapWithTrusted
            self.trusted = trusted
        }

        /// The attributes by their spec names, for comparisons and messages.
        public var named: [(name: AttributeName, value: Bool?)] {
            [
                (.token, token), (.private, `private`), (.modifiable, modifiable), (.copyable, copyable),
                (.destroyable, destroyable), (.sensitive, sensitive), (.extractable, extractable),
                (.wrapWithTrusted, wrapWithTrusted), (.trusted, trusted),
            ]
        }
    }

    /// Attributes no copy can keep (false after an unwrap): shown, never counted as drift.
    public struct Provenance: Sendable, Hashable, Codable {
        public var local: Bool?
        public var alwaysSensitive: Bool?
        public var neverExtractable: Bool?

        public init(local: Bool? = nil, alwaysSensitive: Bool? = nil, neverExtractable: Bool? = nil) {
            self.local = local
            self.alwaysSensitive = alwaysSensitive
            self.neverExtractable = neverExtractable
        }
    }

    public init(
        objectClass: ObjectKind, keyType: KeyAlgorithm?, size: Int?, curve: String?, label: String?, id: String?,
        usage: [String], attributes: PolicyAttributes, provenance: Provenance, allowedMechanisms: [String]?,
        fingerprint: Fingerprint, oddities: [String]
    ) {
        self.objectClass = objectClass
        self.keyType = keyType
        self.size = size
        self.curve = curve
        self.label = label
        self.id = id
        self.usage = usage
        self.attributes = attributes
        self.provenance = provenance
        self.allowedMechanisms = allowedMechanisms
        self.fingerprint = fingerprint
        self.oddities = oddities
    }

    /// Class, label and `CKA_ID`.
    public var identity: KeyIdentity {
        KeyIdentity(objectClass: objectClass, label: label ?? "", id: id ?? "")
    }

    /// Whether the object is a secret or private key (the classes policy rules apply to).
    public var holdsSecretMaterial: Bool {
        objectClass.holdsSecretMaterial
    }

    /// Whether the object is a normal one hsmsync may compare and replicate.
    public var isOdd: Bool { !oddities.isEmpty }

    /// Whether the object is odd and has no identity at all (no label, no `CKA_ID`): a ghost or torn
    /// object, or simply a key an application created without either.
    public var isAnonymous: Bool { isOdd && (label ?? "").isEmpty && (id ?? "").isEmpty }

    /// Whether the token could not even say what the object is: its attributes cannot be read, or
    /// not its class. Every object a creation call finished has a class and its class's attributes;
    /// a write torn by a crash does not.
    public var isIncomplete: Bool {
        oddities.contains { $0 == Self.unreadableClass || $0.hasPrefix(Self.unreadableAttributes) }
    }

    /// The oddity of an object whose `CKA_CLASS` cannot be read.
    package static let unreadableClass = "CKA_CLASS cannot be read"
    /// How the oddity of an object whose attributes cannot be read begins.
    package static let unreadableAttributes = "its attributes cannot be read"

    /// Whether the key can be copied by wrapping.
    public var isExtractable: Bool {
        objectClass == .publicKey || objectClass == .certificate || attributes.extractable == true
    }

    /// A copy with a different fingerprint (the scanner computes fingerprints after reading).
    package func with(fingerprint: Fingerprint) -> KeyRecord {
        KeyRecord(
            objectClass: objectClass, keyType: keyType, size: size, curve: curve, label: label, id: id, usage: usage,
            attributes: attributes, provenance: provenance, allowedMechanisms: allowedMechanisms,
            fingerprint: fingerprint, oddities: oddities)
    }
}
