public import SecureMemory

/// Key material for a rehearsal's stand-ins, made on the host so that scratch tokens hold the same
/// key wherever the real HSMs hold the same key (and different keys where the real ones differ).
///
/// Throwaway material for throwaway tokens: never a real key's, never written anywhere but a
/// scratch token, wiped from host memory with its ``SecretBox``es.
public enum StandInMaterial: Sendable {
    /// An AES key's `CKA_VALUE`.
    case secret(SecretBox)
    /// An EC private key's `CKA_VALUE` (the scalar) and its public point, uncompressed (`04 ‖ X ‖ Y`).
    case ec(scalar: SecretBox, point: [UInt8])
    /// An RSA key pair: `CKA_MODULUS`, `CKA_PUBLIC_EXPONENT`, and the private parts in the order of
    /// ``rsaPrivateParts``.
    case rsa(modulus: [UInt8], publicExponent: [UInt8], privateParts: [SecretBox])

    /// The attributes ``rsa(modulus:publicExponent:privateParts:)`` carries privately, in order:
    /// `CKA_PRIVATE_EXPONENT`, `CKA_PRIME_1`, `CKA_PRIME_2`, `CKA_EXPONENT_1`, `CKA_EXPONENT_2`, `CKA_COEFFICIENT`.
    public static let rsaPrivateParts = [
        "private-exponent", "prime-1", "prime-2", "exponent-1", "exponent-2", "coefficient",
    ]
}
