import Crypto

/// A software ECDSA P-256 key standing in for an HSM key without EdDSA (signature type 0x02).
struct P256SigningKeyForTests {
    let key = P256.Signing.PrivateKey()

    var spki: [UInt8] { Array(key.publicKey.derRepresentation) }

    /// What an HSM signer returns after converting `CKM_ECDSA`'s r‖s: DER over SHA-256.
    func signDER(_ message: [UInt8]) throws -> [UInt8] {
        let raw = try key.signature(for: SHA256.hash(data: message)).rawRepresentation
        return Array(try P256.Signing.ECDSASignature(rawRepresentation: raw).derRepresentation)
    }
}
