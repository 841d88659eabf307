/// One HSM's ephemeral EC key for an agreement, as the host sees it: the public point, validated.
public struct EphemeralAgreementKey: Sendable, Hashable {
    /// `CKA_EC_POINT` as the token gave it.
    public let ecPoint: [UInt8]
    /// `CKA_EC_PARAMS`.
    public let ecParams: [UInt8]?
    /// Whether the token derived with `CKD_SHA256_KDF` (probed with a throwaway self-agreement).
    public let supportsSHA256KDF: Bool

    public init(ecPoint: [UInt8], ecParams: [UInt8]?, supportsSHA256KDF: Bool) {
        self.ecPoint = ecPoint
        self.ecParams = ecParams
        self.supportsSHA256KDF = supportsSHA256KDF
    }
}

/// How an agreed key is derived from the ECDH shared secret.
public enum AgreementKDF: String, Sendable, Hashable, Codable {
    /// `CKD_NULL`: the trailing bytes of the shared x-coordinate (not SP 800-56C).
    case null = "CKD_NULL"
    /// `CKD_SHA256_KDF` with the transcript as shared data.
    case sha256 = "CKD_SHA256_KDF"
}
