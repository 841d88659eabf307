internal import CPKCS11

/// A mechanism type (`CK_MECHANISM_TYPE`), open so vendor-defined mechanisms stay representable.
public struct MechanismType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt
    public init(rawValue: UInt) { self.rawValue = rawValue }

    /// `CKM_AES_KEY_GEN`.
    public static let aesKeyGen = MechanismType(rawValue: UInt(CKM_AES_KEY_GEN))
    /// `CKM_AES_KEY_WRAP` (RFC 3394; deterministic, so equal keys wrap to equal blobs).
    public static let aesKeyWrap = MechanismType(rawValue: UInt(CKM_AES_KEY_WRAP))
    /// `CKM_AES_KEY_WRAP_PAD` (RFC 5649 on most tokens; SoftHSM2 2.6.1 zero-pads first).
    public static let aesKeyWrapPad = MechanismType(rawValue: UInt(CKM_AES_KEY_WRAP_PAD))
    /// `CKM_AES_CMAC`.
    public static let aesCMAC = MechanismType(rawValue: UInt(CKM_AES_CMAC))
    /// `CKM_AES_ECB`.
    public static let aesECB = MechanismType(rawValue: UInt(CKM_AES_ECB))
    /// `CKM_AES_CBC`.
    public static let aesCBC = MechanismType(rawValue: UInt(CKM_AES_CBC))
    /// `CKM_AES_CBC_PAD`.
    public static let aesCBCPad = MechanismType(rawValue: UInt(CKM_AES_CBC_PAD))
    /// `CKM_GENERIC_SECRET_KEY_GEN`.
    public static let genericSecretKeyGen = MechanismType(rawValue: UInt(CKM_GENERIC_SECRET_KEY_GEN))
    /// `CKM_RSA_PKCS_KEY_PAIR_GEN`.
    public static let rsaPKCSKeyPairGen = MechanismType(rawValue: UInt(CKM_RSA_PKCS_KEY_PAIR_GEN))
    /// `CKM_RSA_PKCS` (PKCS#1 v1.5; never used for transport, SECURITY.md R7).
    public static let rsaPKCS = MechanismType(rawValue: UInt(CKM_RSA_PKCS))
    /// `CKM_RSA_PKCS_OAEP`.
    public static let rsaPKCSOAEP = MechanismType(rawValue: UInt(CKM_RSA_PKCS_OAEP))
    /// `CKM_SHA256_RSA_PKCS`.
    public static let sha256RSAPKCS = MechanismType(rawValue: UInt(CKM_SHA256_RSA_PKCS))
    /// `CKM_SHA256_RSA_PKCS_PSS`.
    public static let sha256RSAPKCSPSS = MechanismType(rawValue: UInt(CKM_SHA256_RSA_PKCS_PSS))
    /// `CKM_EC_KEY_PAIR_GEN`.
    public static let ecKeyPairGen = MechanismType(rawValue: UInt(CKM_EC_KEY_PAIR_GEN))
    /// `CKM_ECDSA` (the caller hashes).
    public static let ecdsa = MechanismType(rawValue: UInt(CKM_ECDSA))
    /// `CKM_ECDSA_SHA256`.
    public static let ecdsaSHA256 = MechanismType(rawValue: UInt(CKM_ECDSA_SHA256))
    /// `CKM_ECDH1_DERIVE`.
    public static let ecdh1Derive = MechanismType(rawValue: UInt(CKM_ECDH1_DERIVE))
    /// `CKM_EC_EDWARDS_KEY_PAIR_GEN`.
    public static let ecEdwardsKeyPairGen = MechanismType(rawValue: UInt(CKM_EC_EDWARDS_KEY_PAIR_GEN))
    /// `CKM_EDDSA`.
    public static let eddsa = MechanismType(rawValue: UInt(CKM_EDDSA))
    /// `CKM_SHA_1`.
    public static let sha1 = MechanismType(rawValue: UInt(CKM_SHA_1))
    /// `CKM_SHA256`.
    public static let sha256 = MechanismType(rawValue: UInt(CKM_SHA256))
    /// `CKM_SHA256_HMAC`.
    public static let sha256HMAC = MechanismType(rawValue: UInt(CKM_SHA256_HMAC))
    /// `CKM_VENDOR_DEFINED`, the first vendor value.
    public static let vendorDefined = MechanismType(rawValue: UInt(CPKCS11_CKM_VENDOR_DEFINED))

    /// `CKM_AES_KEY_WRAP_PAD`, or `CKM_VENDOR_DEFINED+0x…`.
    public var description: String {
        specName(rawValue, Self.allSpecNames, vendorBase: Self.vendorDefined.rawValue, prefix: "CKM")
    }
}
