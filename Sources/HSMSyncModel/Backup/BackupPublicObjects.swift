/// Fingerprints of public objects recomputed from their recorded attributes, exactly as the
/// inventory computes them from a token (SPKI for public keys, SHA-256 of `CKA_VALUE` for
/// certificates), so a bundle's record and a token's object compare.
package enum BackupPublicObjects {
    package static func fingerprint(of template: BackupTemplate) -> Fingerprint {
        if template.objectClass == .certificate {
            guard let value = template.bytes(.value) else { return .unavailable(reason: "no CKA_VALUE") }
            return PublicKeyFingerprint.value(value)
        }
        switch template.keyType {
        case .rsa:
            guard let modulus = template.bytes(.modulus), let exponent = template.bytes(.publicExponent) else {
                return .unavailable(reason: "not computed")
            }
            return PublicKeyFingerprint.rsa(modulus: modulus, publicExponent: exponent)
        case .ec, .ecEdwards:
            guard let parameters = template.bytes(.ecParams) else { return .unavailable(reason: "not computed") }
            guard let point = template.bytes(.ecPoint) else {
                return NamedCurve.from(ecParams: parameters) == nil
                    ? .unavailable(reason: "unsupported curve (CKA_EC_PARAMS \(parameters.hexString))")
                    : .unavailable(reason: "not computed")
            }
            return PublicKeyFingerprint.ec(parameters: parameters, point: point)
        default:
            return .unavailable(reason: "not computed")
        }
    }
}
