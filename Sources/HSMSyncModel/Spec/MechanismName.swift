/// A mechanism by its spec name (`CKM_AES_KEY_WRAP`), as envelopes, bundles, reports and fleet
/// checks spell it.
public struct MechanismName: SpecName {
    public let rawValue: String

    public init(rawValue: String) { self.rawValue = rawValue }

    public static let aesKeyWrap: MechanismName = "CKM_AES_KEY_WRAP"
    public static let aesKeyWrapPad: MechanismName = "CKM_AES_KEY_WRAP_PAD"
    public static let aesKeyWrapKWP: MechanismName = "CKM_AES_KEY_WRAP_KWP"
    public static let aesCBCPad: MechanismName = "CKM_AES_CBC_PAD"
    public static let aesECB: MechanismName = "CKM_AES_ECB"
    public static let aesCMAC: MechanismName = "CKM_AES_CMAC"
    public static let aesKeyGen: MechanismName = "CKM_AES_KEY_GEN"
    public static let rsaPKCSOAEP: MechanismName = "CKM_RSA_PKCS_OAEP"
    public static let rsaPKCSKeyPairGen: MechanismName = "CKM_RSA_PKCS_KEY_PAIR_GEN"
    public static let ecKeyPairGen: MechanismName = "CKM_EC_KEY_PAIR_GEN"
    public static let ecEdwardsKeyPairGen: MechanismName = "CKM_EC_EDWARDS_KEY_PAIR_GEN"
    public static let ecdh1Derive: MechanismName = "CKM_ECDH1_DERIVE"
    public static let ecdsa: MechanismName = "CKM_ECDSA"
    public static let eddsa: MechanismName = "CKM_EDDSA"
    public static let sha256: MechanismName = "CKM_SHA256"
}
