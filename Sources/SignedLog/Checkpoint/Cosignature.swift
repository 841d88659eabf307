import HSMSyncModel

/// A witness cosignature (C2SP tlog-cosignature v1.0.1, Ed25519, type `0x04`): a note signature
/// whose bytes are a big-endian u64 POSIX time followed by an Ed25519 signature over
/// `"cosignature/v1\n" ‖ "time <t>\n" ‖ <checkpoint text>`. With the key ID the base64 blob is
/// 76 bytes.
public struct Cosignature: Hashable, Sendable {
    /// The witness's key name.
    public let keyName: String
    /// The witness's key ID.
    public let keyID: UInt32
    /// When the witness signed, in POSIX seconds.
    public let timestamp: UInt64
    /// The 64-byte Ed25519 signature.
    public let ed25519Signature: [UInt8]

    /// Reads the timestamped form of a note signature.
    /// - Returns: `nil` unless the signature is 8 + 64 bytes with a time below 2⁶³.
    public init?(_ signature: NoteSignature) {
        guard signature.signature.count == 72 else { return nil }
        let timestamp = signature.signature.prefix(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        guard timestamp <= UInt64(Int64.max) else { return nil }
        keyName = signature.keyName
        keyID = signature.keyID
        self.timestamp = timestamp
        ed25519Signature = Array(signature.signature.dropFirst(8))
    }

    /// The note signature carrying `timestamp` and `ed25519Signature`.
    public static func noteSignature(keyName: String, keyID: UInt32, timestamp: UInt64, ed25519Signature: [UInt8])
        -> NoteSignature
    {
        let time = (0..<8).map { UInt8(timestamp >> (56 - 8 * UInt64($0)) & 0xFF) }
        return NoteSignature(keyName: keyName, keyID: keyID, signature: time + ed25519Signature)
    }

    /// The message a v1 cosignature signs.
    public static func message(timestamp: UInt64, checkpointText: [UInt8]) -> [UInt8] {
        Array("cosignature/v1\ntime \(timestamp)\n".utf8) + checkpointText
    }
}
