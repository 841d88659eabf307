import Crypto
import HSMSyncModel

/// An ECDSA public key for signature type `0x02`: P-256 (recommended), P-384 or P-521, verifying
/// ASN.1 DER signatures over the SHA-256 of the message, as transparency-dev/formats'
/// `NewECDSAVerifier` does (`ecdsa.VerifyASN1(key, sha256(msg), sig)`).
enum ECDSAPublicKey {
    case p256(P256.Signing.PublicKey)
    case p384(P384.Signing.PublicKey)
    case p521(P521.Signing.PublicKey)

    /// Parses a DER SubjectPublicKeyInfo.
    init?(der: [UInt8]) {
        if let key = try? P256.Signing.PublicKey(derRepresentation: der) {
            self = .p256(key)
        } else if let key = try? P384.Signing.PublicKey(derRepresentation: der) {
            self = .p384(key)
        } else if let key = try? P521.Signing.PublicKey(derRepresentation: der) {
            self = .p521(key)
        } else {
            return nil
        }
    }

    /// Whether `derSignature` is a valid signature over SHA-256(`message`).
    func isValid(derSignature: [UInt8], message: [UInt8]) -> Bool {
        let digest = SHA256.hash(data: message)
        switch self {
        case .p256(let key):
            guard let signature = try? P256.Signing.ECDSASignature(derRepresentation: derSignature) else {
                return false
            }
            return key.isValidSignature(signature, for: digest)
        case .p384(let key):
            guard let signature = try? P384.Signing.ECDSASignature(derRepresentation: derSignature) else {
                return false
            }
            return key.isValidSignature(signature, for: digest)
        case .p521(let key):
            guard let signature = try? P521.Signing.ECDSASignature(derRepresentation: derSignature) else {
                return false
            }
            return key.isValidSignature(signature, for: digest)
        }
    }
}
