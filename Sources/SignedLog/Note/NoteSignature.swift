import HSMSyncModel

/// One signature line of a signed note: `— <key name> <base64(key ID ‖ signature)>`.
public struct NoteSignature: Hashable, Sendable {
    /// The signer's key name.
    public let keyName: String
    /// The 4-byte key ID, big-endian.
    public let keyID: UInt32
    /// The signature bytes after the key ID (64 for Ed25519, 72 for a v1 cosignature, DER for ECDSA).
    public let signature: [UInt8]

    public init(keyName: String, keyID: UInt32, signature: [UInt8]) {
        self.keyName = keyName
        self.keyID = keyID
        self.signature = signature
    }

    /// The line as written in a note, with its final newline.
    public var line: String {
        "\u{2014} \(keyName) \(Base64.encode(KeyID.bytes(keyID) + signature))\n"
    }
}

/// Key IDs: the first four bytes of a SHA-256, read big-endian.
public enum KeyID {
    /// The four bytes of `id`, big-endian.
    public static func bytes(_ id: UInt32) -> [UInt8] {
        [UInt8(id >> 24), UInt8(id >> 16 & 0xFF), UInt8(id >> 8 & 0xFF), UInt8(id & 0xFF)]
    }

    /// The key ID spelled as in vkeys: eight lowercase hex digits.
    public static func hex(_ id: UInt32) -> String {
        Hex.encode(bytes(id))
    }

    /// The big-endian value of the first four bytes.
    package static func value(_ bytes: some Collection<UInt8>) -> UInt32 {
        bytes.prefix(4).reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
    }
}
