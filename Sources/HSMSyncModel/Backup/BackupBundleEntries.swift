/// A secret or private key, wrapped under the backup key.
public struct BackupWrappedKey: Codable, Sendable, Hashable {
    /// The complete attribute template (no secret values).
    public var template: BackupTemplate
    /// Key size in bits as the source reported it (`nil` when it would not say, e.g. a SoftHSM2 key
    /// that was itself unwrapped).
    public var bits: Int?
    /// The curve of an EC key (`P-256`).
    public var curve: String?
    /// The source's fingerprint (DESIGN.md): SPKI for private keys, transport-wrap/CMAC for secret keys.
    public var fingerprint: Fingerprint
    /// The source's provenance (`CKA_LOCAL`, …), which no restored copy can keep.
    public var provenance: KeyRecord.Provenance
    /// `CKM_AES_KEY_WRAP` or `CKM_AES_KEY_WRAP_PAD`.
    public var mechanism: MechanismName
    /// The wrapped key (base64).
    public var wrapped: String
    /// Its length in bytes.
    public var wrappedLength: Int
    /// SHA-256 of the wrapped bytes (hex).
    public var wrappedSHA256: String

    public init(
        template: BackupTemplate, bits: Int?, curve: String?, fingerprint: Fingerprint,
        provenance: KeyRecord.Provenance, mechanism: MechanismName, wrapped: String, wrappedLength: Int,
        wrappedSHA256: String
    ) {
        self.template = template
        self.bits = bits
        self.curve = curve
        self.fingerprint = fingerprint
        self.provenance = provenance
        self.mechanism = mechanism
        self.wrapped = wrapped
        self.wrappedLength = wrappedLength
        self.wrappedSHA256 = wrappedSHA256
    }
}

/// A public key or certificate, as it is (its values are public).
public struct BackupPublicObject: Codable, Sendable, Hashable {
    public var template: BackupTemplate
    /// SPKI fingerprint (public keys) or SHA-256 of `CKA_VALUE` (certificates).
    public var fingerprint: Fingerprint

    public init(template: BackupTemplate, fingerprint: Fingerprint) {
        self.template = template
        self.fingerprint = fingerprint
    }
}

/// An in-scope key the bundle does not hold, and why.
public struct BackupExclusion: Codable, Sendable, Hashable {
    public var identity: KeyIdentity
    public var keyType: KeyAlgorithm?
    public var reason: String

    public init(identity: KeyIdentity, keyType: KeyAlgorithm?, reason: String) {
        self.identity = identity
        self.keyType = keyType
        self.reason = reason
    }
}

/// A bundle's content: the manifest and its sections, in file order.
public struct BackupContent: Sendable, Hashable {
    public var manifest: BackupManifest
    public var keys: [BackupWrappedKey]
    public var objects: [BackupPublicObject]
    public var excluded: [BackupExclusion]

    public init(
        manifest: BackupManifest, keys: [BackupWrappedKey], objects: [BackupPublicObject], excluded: [BackupExclusion]
    ) {
        self.manifest = manifest
        self.keys = keys
        self.objects = objects
        self.excluded = excluded
    }
}
