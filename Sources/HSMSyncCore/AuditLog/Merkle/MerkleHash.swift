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

    /// The hash as 32 PGP words, for reading aloud in a ceremony.
    public var pgpWords: [String] { PGPWords.words(for: bytes) }

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

    /// Whether `hexBytes` (64 lowercase hex characters) spells this hash, without allocating.
    func matchesHex(_ hexBytes: UnsafeRawBufferPointer) -> Bool {
        guard hexBytes.count == 64 else { return false }
        return withUnsafeBytes { raw in
            var difference: UInt8 = 0
            for index in 0..<32 {
                guard let high = Hex.value(hexBytes[2 * index]), let low = Hex.value(hexBytes[2 * index + 1]) else {
                    return false
                }
                difference |= raw[index] ^ (high << 4 | low)
            }
            return difference == 0
        }
    }
}
