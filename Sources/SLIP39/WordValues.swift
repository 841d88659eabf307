import HSMSyncModel
import SecureMemory

/// The 10-bit values of a mnemonic's words, in order, held in a locked and wiped buffer (they are
/// the share itself, so they are as secret as its text).
struct WordValues: ~Copyable {
    private var storage: SecretBytes

    /// The number of words.
    let count: Int

    /// `count` zero values.
    init(count: Int) {
        storage = SecretBytes(zeroedCount: 2 * count)
        self.count = count
    }

    /// The value of word `position` (0-based), `0..<1024`.
    subscript(position: Int) -> Int {
        get {
            storage.withUnsafeBytes { bytes in
                Int(bytes[2 * position]) << 8 | Int(bytes[2 * position + 1])
            }
        }
        set {
            storage.withUnsafeMutableBytes { bytes in
                bytes[2 * position] = UInt8(truncatingIfNeeded: newValue >> 8)
                bytes[2 * position + 1] = UInt8(truncatingIfNeeded: newValue)
            }
        }
    }

    /// The integer spelled by words `range`, most significant word first (for public fields only:
    /// identifier, iteration exponent, share parameters).
    func integer(in range: Range<Int>) -> Int {
        range.reduce(0) { value, position in value << 10 | self[position] }
    }
}
