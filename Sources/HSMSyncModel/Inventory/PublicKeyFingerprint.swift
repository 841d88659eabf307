import Crypto

/// The fingerprint of a public key (DESIGN decision 0002: SHA-256 of its DER SubjectPublicKeyInfo),
/// from the attributes that carry it: computed the same way from a token's object, a bundle's
/// template or an envelope, so that all three compare.
public enum PublicKeyFingerprint {
    /// An RSA key's, from `CKA_MODULUS` and `CKA_PUBLIC_EXPONENT`.
    public static func rsa(modulus: [UInt8], publicExponent: [UInt8]) -> Fingerprint {
        spki { try SubjectPublicKeyInfo.rsa(modulus: modulus, publicExponent: publicExponent) }
    }

    /// An EC or Edwards key's, from `CKA_EC_PARAMS` and `CKA_EC_POINT`.
    public static func ec(parameters: [UInt8], point: [UInt8]) -> Fingerprint {
        guard let curve = NamedCurve.from(ecParams: parameters) else {
            return .unavailable(reason: "unsupported curve (CKA_EC_PARAMS \(parameters.hexString))")
        }
        guard let raw = curve.rawPoint(from: point) else {
            return .unavailable(reason: "CKA_EC_POINT is not a \(curve.name) point")
        }
        return spki { try SubjectPublicKeyInfo.ec(curve: curve, rawPoint: raw) }
    }

    /// A certificate's or data object's: SHA-256 of `CKA_VALUE`.
    public static func value(_ value: [UInt8]) -> Fingerprint {
        .available(method: .value, sha256: Array(SHA256.hash(data: value)).hexString)
    }

    private static func spki(_ build: () throws -> [UInt8]) -> Fingerprint {
        do {
            return .available(method: .subjectPublicKeyInfo, sha256: SubjectPublicKeyInfo.fingerprint(try build()))
        } catch {
            return .unavailable(reason: "cannot encode the public key: \(error)")
        }
    }
}
