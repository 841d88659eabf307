import HSMSyncModel

/// A 32-byte SHA-256 value of the Merkle tree: a leaf hash, an interior node or a root.
///
/// Stored inline (no heap allocation), because verifying a log computes two of these per entry.
public struct MerkleHash: Hashable, Sendable, CustomStringConvertible {
    /// The number of bytes in a hash.
    public static let byteCount = 32

    private var words: (UInt64, UInt64, UInt64, UInt64)

    /// Takes the 32 bytes of `bytes`.
    /// - Returns: `nil` unless `bytes` holds exactly 32 bytes.
    public init?(bytes: some Collection<UInt8>) {
        guard bytes.count == Self.byteCount else { return nil }
        words = (0, 0, 0, 0)
        withUnsafeMutableBytes(of: &words) { target in
            for (index, byte) in bytes.enumerated() { target[index] = byte }
        }
    }

    /// Copies the first 32 bytes of `buffer`, which must hold at least that many.
    init(copying buffer: UnsafeRawBufferPointer) {
        precondition(buffer.count >= Self.byteCount)
        words = (
            buffer.loadUnaligned(fromByteOffset: 0, as: UInt64.self),
            buffer.loadUnaligned(fromByteOffset: 8, as: UInt64.self),
            buffer.loadUnaligned(fromByteOffset: 16, as: UInt64.self),
            buffer.loadUnaligned(fromByteOffset: 24, as: UInt64.self)
        )
    }

    /// Parses the base64 form used in checkpoints.
    public init?(base64: some StringProtocol) {
        guard let bytes = Base64.decode(base64) else { return nil }
        self.init(bytes: bytes)
    }

    /// Parses the lowercase hex form used by `prev`.
    public init?(hex: some StringProtocol) {
        guard let bytes = Hex.decode(hex) else { return nil }
        self.init(bytes: bytes)
    }

    /// 32 zero bytes: the `prev` of entry 0.
    public static let zero = MerkleHash(words: (0, 0, 0, 0))

    private init(words: (UInt64, UInt64, UInt64, UInt64)) {
        self.words = words
    }

    /// The bytes.
    public var bytes: [UInt8] { withUnsafeBytes { Array($0) } }

    /// Lends the 32 bytes.
    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try Swift.withUnsafeBytes(of: words, body)
    }

    /// Lowercase hex, as in `prev`.
    public var hex: String { Hex.encode(bytes) }

    /// Standard base64, as in checkpoints.
    public var base64: String { Base64.encode(bytes) }

    public var description: String { hex }

    public static func == (lhs: MerkleHash, rhs: MerkleHash) -> Bool {
        (lhs.words.0 ^ rhs.words.0) | (lhs.words.1 ^ rhs.words.1) | (lhs.words.2 ^ rhs.words.2)
            | (lhs.words.3 ^ rhs.words.3) == 0
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(words.0)
        hasher.combine(words.1)
        hasher.combine(words.2)
        hasher.combine(words.3)
    }

    /// Parses 64 lowercase hex characters without allocating; `nil` for anything else.
    ///
    /// Eight characters at a time (SWAR): every byte must lie in `0`–`9` or `a`–`f`; its value is
    /// its low nibble, plus 9 for letters.
    init?(hexBytes: UnsafeRawBufferPointer) {
        guard hexBytes.count == 64 else { return nil }
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        var packed: (UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32) = (0, 0, 0, 0, 0, 0, 0, 0)
        var valid = true
        withUnsafeMutableBytes(of: &packed) { target in
            for chunk in 0..<8 {
                let word = hexBytes.loadUnaligned(fromByteOffset: chunk * 8, as: UInt64.self)
                // For bytes below 0x80: high bit of (c + 0x80 - lo) is set iff c >= lo, and high bit
                // of ~(c + 0x7F - hi) is set iff c <= hi; no carries cross bytes.
                let ascii = word & highs == 0
                let digit = (word &+ ones &* (0x80 - 0x30)) & ~(word &+ ones &* (0x7F - 0x39))
                let letter = (word &+ ones &* (0x80 - 0x61)) & ~(word &+ ones &* (0x7F - 0x66))
                valid = valid && ascii && (digit | letter) & highs == highs
                let values = (word & (ones &* 0x0F)) &+ ((word >> 6) & ones) &* 9
                // Little-endian: byte 2k is the high nibble of output byte k.
                var pairs = ((values & 0x00FF_00FF_00FF_00FF) << 4) | ((values >> 8) & 0x00FF_00FF_00FF_00FF)
                pairs = (pairs | (pairs >> 8)) & 0x0000_FFFF_0000_FFFF
                pairs = (pairs | (pairs >> 16)) & 0x0000_0000_FFFF_FFFF
                target.storeBytes(of: UInt32(truncatingIfNeeded: pairs), toByteOffset: chunk * 4, as: UInt32.self)
            }
        }
        guard valid else { return nil }
        words = (0, 0, 0, 0)
        Swift.withUnsafeMutableBytes(of: &words) { target in
            Swift.withUnsafeBytes(of: packed) { target.copyMemory(from: $0) }
        }
    }
}
