import HSMSyncModel

/// Sizes and limits of the SLIP-0039 share format.
///
/// A mnemonic is, in 10-bit words: identifier (15 bits), extendable flag (1), iteration exponent (4)
/// — 2 words; group index, group threshold − 1, group count − 1, member index, member threshold − 1
/// (4 bits each) — 2 words; the share value, left-padded with zero bits to whole words; the RS1024
/// checksum — 3 words.
package enum SLIP39Format {
    /// Bits per word.
    static let bitsPerWord = 10
    /// Words of identifier, flag and iteration exponent.
    static let identifierWordCount = 2
    /// Words of group and member parameters.
    static let parameterWordCount = 2
    /// Words that are not the share value.
    static let fixedWordCount = identifierWordCount + parameterWordCount + RS1024.checksumWordCount
    /// The shortest secret, in bytes (128 bits).
    static let minimumSecretByteCount = 16
    /// The shortest mnemonic (a 128-bit secret).
    static let minimumWordCount = fixedWordCount + valueWordCount(forByteCount: minimumSecretByteCount)
    /// More words than any plausible secret needs (a 1024-bit secret takes 110); longer input is
    /// refused before it is stored.
    static let maximumWordCount = 1_000
    /// The most shares per group and groups per set (4-bit fields).
    package static let maximumShareCount = 16
    /// Bits in the identifier.
    static let identifierBitCount = 15
    /// The largest iteration exponent (4 bits).
    static let maximumIterationExponent = 15
    /// The x-coordinate of the digest share.
    package static let digestIndex: UInt8 = 254
    /// The x-coordinate of the shared secret.
    static let secretIndex: UInt8 = 255
    /// Bytes of the digest at the front of the digest share.
    static let digestByteCount = 4

    /// The number of words that hold a value of `byteCount` bytes.
    static func valueWordCount(forByteCount byteCount: Int) -> Int {
        (8 * byteCount + bitsPerWord - 1) / bitsPerWord
    }
}
