/// A way of moving a key between two tokens under the transport key, as envelopes and bundles name
/// it. Each token carries it out with its own PKCS#11 mechanism (``TokenCapabilities``): RFC 5649 is
/// `CKM_AES_KEY_WRAP_PAD` on SoftHSM2 and `CKM_AES_KEY_WRAP_KWP` on NSS softoken, whose own
/// `CKM_AES_KEY_WRAP_PAD` is another algorithm.
public enum WrapMethod: String, Sendable, Hashable, Codable, CaseIterable, CodingKeyRepresentable {
    /// RFC 3394 AES key wrap: keys whose length is a multiple of 8 bytes.
    case aesKeyWrap = "AES-KW"
    /// RFC 5649 AES key wrap with padding: any length, PKCS#8 private keys included.
    case aesKeyWrapWithPadding = "AES-KWP"

    /// The name an envelope or a bundle records: `CKM_AES_KEY_WRAP` stands for RFC 3394 and
    /// `CKM_AES_KEY_WRAP_PAD` for RFC 5649, whatever number the token uses for it.
    public var envelopeMechanism: MechanismName {
        switch self {
        case .aesKeyWrap: return .aesKeyWrap
        case .aesKeyWrapWithPadding: return .aesKeyWrapPad
        }
    }

    /// The method an envelope's mechanism name stands for (`nil`: not one hsmsync uses).
    public init?(envelopeMechanism name: MechanismName) {
        switch name {
        case .aesKeyWrap: self = .aesKeyWrap
        case .aesKeyWrapPad: self = .aesKeyWrapWithPadding
        default: return nil
        }
    }

    /// The methods a key of this class and type may travel by, best first (security rule R7).
    ///
    /// An AES key goes by RFC 3394 first: its length is a multiple of 8, both methods are equally
    /// strong, and RFC 3394 is what SoftHSM2-only fleets have always used (their envelopes and
    /// bundles stay the same). Anything else needs RFC 5649.
    public static func preference(for objectClass: ObjectKind, keyType: KeyAlgorithm?) -> [WrapMethod] {
        objectClass == .secretKey && keyType == .aes ? [.aesKeyWrap, .aesKeyWrapWithPadding] : [.aesKeyWrapWithPadding]
    }
}
