import Crypto
public import Foundation

/// A wrapped key with everything needed to recreate and check it (SECURITY.md R6): the complete
/// attribute template, the source fingerprint, the source token, the transport key's check value,
/// the wrap mechanism, the wrapped blob and its SHA-256, and a digest sealing all of it.
///
/// Envelopes are the idempotent artefacts of replication (and of backups): the destination verifies
/// one completely before `C_UnwrapKey` is called (``verify(transportCheckValue:policy:)``). A private
/// key's envelope carries its public key object's template too: public keys travel with private keys.
///
/// > Important: The seal is a SHA-256 digest, not a signature: it detects corruption and tampering
/// > in transit between two points that both trust the host computing it. R6's signature by an
/// > HSM-resident key is not implemented yet (docs/threat-model.md).
public struct KeyEnvelope: Sendable, Hashable, Codable {
    /// The envelope format this code writes and reads.
    public static let currentVersion = 1

    public let version: Int
    /// The replication operation this envelope belongs to (journal and audit log).
    public let opID: String
    public let source: Source
    /// The key object's template.
    public let key: KeyTemplate
    /// The public key object's template, for a private key whose public key travels with it.
    public let publicKey: KeyTemplate?
    /// The source fingerprint (``Fingerprint``'s JSON form), checked on the destination.
    public let fingerprint: Fingerprint
    /// Check value of the transport key the blob is wrapped under.
    public let transportCheckValue: String
    /// `CKM_AES_KEY_WRAP_PAD` or `CKM_AES_KEY_WRAP`.
    public let mechanism: MechanismName
    /// The wrapped key, lowercase hex (not secret: it is encrypted under the transport key).
    public let wrappedKey: String
    /// SHA-256 of the wrapped key bytes, hex.
    public let wrappedKeySHA256: String
    /// RFC 3339, when the envelope was made.
    public let createdAt: String
    /// SHA-256 over the canonical JSON of every other field, hex.
    public let digest: String

    /// Where a key was wrapped.
    public struct Source: Sendable, Hashable, Codable {
        public let hsm: String
        public let tokenSerial: String
        public let tokenLabel: String

        public init(hsm: String, tokenSerial: String, tokenLabel: String) {
            self.hsm = hsm
            self.tokenSerial = tokenSerial
            self.tokenLabel = tokenLabel
        }
    }

    /// Builds and seals an envelope.
    public init(
        opID: String, source: Source, key: KeyTemplate, publicKey: KeyTemplate?, fingerprint: Fingerprint,
        transportCheckValue: String, mechanism: MechanismName, wrappedKey: [UInt8], createdAt: Date = Date()
    ) {
        let unsealed = KeyEnvelope(
            version: Self.currentVersion, opID: opID, source: source, key: key, publicKey: publicKey,
            fingerprint: fingerprint, transportCheckValue: transportCheckValue, mechanism: mechanism,
            wrappedKey: wrappedKey.hexString, wrappedKeySHA256: Array(SHA256.hash(data: wrappedKey)).hexString,
            createdAt: RFC3339.seconds.string(from: createdAt), digest: "")
        self = unsealed.sealed()
    }

    private init(
        version: Int, opID: String, source: Source, key: KeyTemplate, publicKey: KeyTemplate?,
        fingerprint: Fingerprint, transportCheckValue: String, mechanism: MechanismName, wrappedKey: String,
        wrappedKeySHA256: String, createdAt: String, digest: String
    ) {
        self.version = version
        self.opID = opID
        self.source = source
        self.key = key
        self.publicKey = publicKey
        self.fingerprint = fingerprint
        self.transportCheckValue = transportCheckValue
        self.mechanism = mechanism
        self.wrappedKey = wrappedKey
        self.wrappedKeySHA256 = wrappedKeySHA256
        self.createdAt = createdAt
        self.digest = digest
    }

    private init(copy other: KeyEnvelope, digest: String) {
        self.init(
            version: other.version, opID: other.opID, source: other.source, key: other.key,
            publicKey: other.publicKey, fingerprint: other.fingerprint, transportCheckValue: other.transportCheckValue,
            mechanism: other.mechanism, wrappedKey: other.wrappedKey, wrappedKeySHA256: other.wrappedKeySHA256,
            createdAt: other.createdAt, digest: digest)
    }

    /// The digest of every field but `digest`, over their canonical JSON.
    public var computedDigest: String {
        let bytes = (try? CanonicalJSON.encode(encodable: KeyEnvelope(copy: self, digest: ""))) ?? []
        return Array(SHA256.hash(data: bytes)).hexString
    }

    func sealed() -> KeyEnvelope {
        KeyEnvelope(copy: self, digest: computedDigest)
    }

    /// The envelope's canonical bytes, for files and transport.
    public func encoded() throws -> Data {
        Data(try CanonicalJSON.encode(encodable: self))
    }

    /// Decodes an envelope (verification is separate: ``verify(transportCheckValue:policy:)``).
    public static func decode(_ data: Data) throws(ReplicationError) -> KeyEnvelope {
        do {
            return try JSONDecoder().decode(KeyEnvelope.self, from: data)
        } catch {
            throw .envelopeInvalid("not a key envelope: \(error)")
        }
    }

    /// The wrapped key bytes (valid after verification).
    package var wrappedKeyBytes: [UInt8] { Hex.decode(wrappedKey) ?? [] }
}
