import HSMSyncModel

/// Signs the log's checkpoints. The log never sees the private key: a file key
/// (``FileKeySigner``), an ephemeral ceremony key or an HSM-held key all look the same.
///
/// An HSM signer conforms by producing, for ``NoteSignatureType/ed25519``, the 64-byte RFC 8032
/// signature (`CKM_EDDSA`), or for ``NoteSignatureType/ecdsa``, the ASN.1 DER ECDSA signature over
/// SHA-256 of the message (hash on the host, `CKM_ECDSA` returns r‖s; convert with
/// `P256.Signing.ECDSASignature(rawRepresentation:).derRepresentation`), with a vkey from
/// ``VerifierKey/ed25519(name:publicKey:type:)`` or ``VerifierKey/ecdsa(name:subjectPublicKeyInfo:)``.
/// ``AuditLog`` verifies every signature against ``verifierKey`` before it writes a checkpoint,
/// so a misbehaving token cannot produce an unverifiable log.
///
/// > Important: The key name must equal the log's origin (C2SP tlog-checkpoint: key name SHOULD
/// > be the origin; hsmsync requires it).
public protocol AuditSigner: Sendable {
    /// The public key as a vkey: name, key ID, type and public key.
    var verifierKey: VerifierKey { get }

    /// Signs `message` (a checkpoint's note text) and returns the signature bytes, without the
    /// key ID (the note line adds it).
    func sign(_ message: [UInt8]) async throws -> [UInt8]
}

extension AuditSigner {
    /// The key name (the origin of the log it signs).
    public var keyName: String { verifierKey.name }
    /// The key ID of signed-note v1.0.0.
    public var keyID: UInt32 { verifierKey.keyID }
    /// The signature type byte.
    public var signatureType: NoteSignatureType { verifierKey.type }
    /// The vkey text, as written to `log.vkey`.
    public var vkey: String { verifierKey.description }
}
