import Crypto
import HSMSyncModel

/// A signed-note verifier key ("vkey"): `<name>+<hex key ID>+<base64(type ‖ public key)>`.
///
/// Parsing splits on the first two `+` only (the base64 may contain `+`) and recomputes the key
/// ID, so a vkey whose ID does not match its key is refused. Supported types: Ed25519 (`0x01`),
/// ECDSA P-256/P-384/P-521 (`0x02`, DER SPKI, as transparency-dev/witness), Ed25519 v1
/// cosignatures (`0x04`).
public struct VerifierKey: Hashable, Sendable, CustomStringConvertible {
    /// The key name (for the log key: the origin).
    public let name: String
    /// The key ID.
    public let keyID: UInt32
    /// The signature type.
    public let type: NoteSignatureType
    /// The public key: 32 bytes for Ed25519 types, the DER SubjectPublicKeyInfo for ECDSA.
    public let publicKey: [UInt8]

    /// The vkey text.
    public var description: String {
        "\(name)+\(KeyID.hex(keyID))+\(Base64.encode([type.rawValue] + publicKey))"
    }

    /// A vkey for an Ed25519 log or note key (`0x01`) or an Ed25519 witness key (`0x04`).
    public static func ed25519(name: String, publicKey: [UInt8], type: NoteSignatureType = .ed25519)
        throws(NoteFormatError)
        -> VerifierKey
    {
        guard type == .ed25519 || type == .cosignatureV1 else {
            throw NoteFormatError("an Ed25519 vkey has type 0x01 or 0x04, not \(type)")
        }
        return try VerifierKey(name: name, type: type, publicKey: publicKey)
    }

    /// A type `0x02` vkey for an ECDSA key given as DER SubjectPublicKeyInfo (an HSM key without EdDSA).
    public static func ecdsa(name: String, subjectPublicKeyInfo der: [UInt8]) throws(NoteFormatError) -> VerifierKey {
        try VerifierKey(name: name, type: .ecdsa, publicKey: der)
    }

    private init(name: String, type: NoteSignatureType, publicKey: [UInt8]) throws(NoteFormatError) {
        guard KeyName.isValid(name) else {
            throw NoteFormatError("invalid key name \"\(name)\": it must be non-empty, without spaces or '+'")
        }
        try Self.checkKey(type: type, publicKey: publicKey)
        self.name = name
        self.type = type
        self.publicKey = publicKey
        self.keyID = Self.computeKeyID(name: name, type: type, publicKey: publicKey)
    }

    /// Parses vkey text (surrounding white space, such as a final newline, is ignored).
    /// - Throws: ``NoteFormatError`` for a malformed vkey, an unsupported type, a bad public key or
    ///   a key ID that does not recompute.
    public init(parsing text: some StringProtocol) throws(NoteFormatError) {
        let trimmed = text.trimmingASCIIWhitespace()
        let parts = trimmed.split(separator: "+", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3 else {
            throw NoteFormatError("a vkey has the form <name>+<key ID>+<base64 key>")
        }
        let name = String(parts[0])
        guard KeyName.isValid(name) else {
            throw NoteFormatError("invalid key name \"\(name)\" in vkey")
        }
        guard parts[1].utf8.count == 8, let idBytes = Hex.decode(parts[1].lowercased()) else {
            throw NoteFormatError("the key ID of a vkey is eight hex digits, not \"\(parts[1])\"")
        }
        guard let keyBytes = Base64.decode(parts[2]), keyBytes.count >= 2 else {
            throw NoteFormatError("the key of vkey \(name) is not canonical base64 of a type byte and a key")
        }
        let type = NoteSignatureType(rawValue: keyBytes[0])
        let publicKey = Array(keyBytes.dropFirst())
        try Self.checkKey(type: type, publicKey: publicKey)
        let computed = Self.computeKeyID(name: name, type: type, publicKey: publicKey)
        let stated = KeyID.value(idBytes)
        guard computed == stated else {
            throw NoteFormatError(
                "key ID mismatch in vkey \(name): it says \(KeyID.hex(stated)), the key gives \(KeyID.hex(computed))")
        }
        self.name = name
        self.type = type
        self.publicKey = publicKey
        self.keyID = computed
    }

    private static func checkKey(type: NoteSignatureType, publicKey: [UInt8]) throws(NoteFormatError) {
        switch type {
        case .ed25519, .cosignatureV1:
            guard publicKey.count == 32, (try? Curve25519.Signing.PublicKey(rawRepresentation: publicKey)) != nil else {
                throw NoteFormatError("an Ed25519 public key is 32 bytes")
            }
        case .ecdsa:
            guard ECDSAPublicKey(der: publicKey) != nil else {
                throw NoteFormatError("the ECDSA key is not a DER P-256, P-384 or P-521 SubjectPublicKeyInfo")
            }
        default:
            throw NoteFormatError("unsupported signature type \(type)")
        }
    }

    /// The key ID of signed-note v1.0.0: `SHA-256(name ‖ 0x0A ‖ type ‖ key)[:4]`, except ECDSA
    /// (`0x02`): `SHA-256(DER SPKI)[:4]`.
    static func computeKeyID(name: String, type: NoteSignatureType, publicKey: [UInt8]) -> UInt32 {
        let digest: SHA256.Digest
        if type == .ecdsa {
            digest = SHA256.hash(data: publicKey)
        } else {
            digest = SHA256.hash(data: Array(name.utf8) + [0x0A, type.rawValue] + publicKey)
        }
        return digest.withUnsafeBytes { KeyID.value($0) }
    }

    /// Whether `signature` is this key's (same name and key ID), whatever it verifies to.
    public func matches(_ signature: NoteSignature) -> Bool {
        signature.keyName == name && signature.keyID == keyID
    }

    /// Verifies a signature by this key over a note's text. For a cosignature key the signature
    /// is the 72-byte timestamped form and the cosigned message is rebuilt from the text.
    public func verify(_ signature: NoteSignature, text: [UInt8]) -> Bool {
        guard matches(signature) else { return false }
        switch type {
        case .ed25519:
            return Self.verifyEd25519(publicKey: publicKey, signature: signature.signature, message: text)
        case .ecdsa:
            return ECDSAPublicKey(der: publicKey)?.isValid(derSignature: signature.signature, message: text) ?? false
        case .cosignatureV1:
            guard let cosignature = Cosignature(signature) else { return false }
            let message = Cosignature.message(timestamp: cosignature.timestamp, checkpointText: text)
            return Self.verifyEd25519(publicKey: publicKey, signature: cosignature.ed25519Signature, message: message)
        default:
            return false
        }
    }

    private static func verifyEd25519(publicKey: [UInt8], signature: [UInt8], message: [UInt8]) -> Bool {
        guard signature.count == 64, let key = try? Curve25519.Signing.PublicKey(rawRepresentation: publicKey) else {
            return false
        }
        return key.isValidSignature(signature, for: message)
    }
}

extension StringProtocol {
    /// The text without leading and trailing spaces, tabs, CRs and newlines.
    func trimmingASCIIWhitespace() -> Substring {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" || $0 == "\r\n" }
        let string = Substring(self)
        guard let first = string.firstIndex(where: { !isSpace($0) }),
            let last = string.lastIndex(where: { !isSpace($0) })
        else { return "" }
        return string[first...last]
    }
}
