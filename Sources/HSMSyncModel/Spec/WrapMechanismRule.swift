/// Which key-wrap mechanism moves a key, for replication and for backups alike (security rule R7).
///
/// An AES key is wrapped with `CKM_AES_KEY_WRAP` (RFC 3394: its length is always a multiple of 8,
/// and the result is deterministic, which the re-wrap proof relies on); every other key — generic
/// secrets of any length, PKCS#8 private keys — with `CKM_AES_KEY_WRAP_PAD`. Nothing else is ever
/// used or accepted.
public enum WrapMechanismRule {
    /// The mechanisms an envelope or a bundle may name.
    public static let allowed: Set<MechanismName> = [.aesKeyWrap, .aesKeyWrapPad]

    /// The mechanism for a key of this class and type.
    public static func mechanism(for objectClass: ObjectKind, keyType: KeyAlgorithm?) -> MechanismName {
        objectClass == .secretKey && keyType == .aes ? .aesKeyWrap : .aesKeyWrapPad
    }
}
