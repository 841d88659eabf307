import HSMSyncModel

/// The signature type byte of a signed-note key (C2SP signed-note v1.0.0): it is part of the vkey
/// and of the key ID, so one key cannot be confused across algorithms.
///
/// An open struct, so types this version does not verify (RFC 6962 tree heads, ML-DSA) remain
/// representable.
public struct NoteSignatureType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt8

    public init(rawValue: UInt8) {
        self.rawValue = rawValue
    }

    /// `0x01`: Ed25519 over the note text (RFC 8032). The log key's type.
    public static let ed25519 = NoteSignatureType(rawValue: 0x01)
    /// `0x02`: ECDSA over SHA-256 of the note text, ASN.1 DER signature, as in
    /// transparency-dev/witness; the key ID is `SHA-256(DER SPKI)[:4]`. For HSMs without EdDSA.
    public static let ecdsa = NoteSignatureType(rawValue: 0x02)
    /// `0x04`: timestamped Ed25519 witness cosignature (C2SP tlog-cosignature v1).
    public static let cosignatureV1 = NoteSignatureType(rawValue: 0x04)
    /// `0x05`: RFC 6962 `TreeHeadSignature` (not verified by hsmsync).
    public static let rfc6962TreeHead = NoteSignatureType(rawValue: 0x05)

    public var description: String {
        switch self {
        case .ed25519: "Ed25519 (0x01)"
        case .ecdsa: "ECDSA (0x02)"
        case .cosignatureV1: "Ed25519 cosignature/v1 (0x04)"
        case .rfc6962TreeHead: "RFC 6962 tree head (0x05)"
        default: "type 0x" + Hex.encode([rawValue])
        }
    }
}
