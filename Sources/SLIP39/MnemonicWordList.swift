import HSMSyncModel

/// The SLIP-0039 word list: 1024 English words of 4 to 8 letters, each encoding 10 bits.
///
/// The list itself is public, but the words of a share are secret: share text is never turned into
/// `String`s. Words are looked up by their bytes, touching every entry of the list whatever the
/// word is, so the time taken does not depend on which word was typed.
public enum MnemonicWordList {
    /// The number of words (2¹⁰).
    public static let count = 1024

    /// The longest word, in letters.
    static let maximumWordLength = 8

    /// The word encoding `value`, for rendering public data such as a key check value.
    ///
    /// - Parameter value: a 10-bit value, `0..<1024`.
    public static func word(at value: Int) -> String {
        precondition((0..<count).contains(value), "a SLIP-0039 word encodes 10 bits")
        return words[value].description
    }

    /// Each word's ASCII letters packed little-endian into a `UInt64`, zero-padded.
    private static let packedWords: [UInt64] = words.map { word in
        word.withUTF8Buffer { letters in
            var packed: UInt64 = 0
            for (position, letter) in letters.enumerated() {
                packed |= UInt64(letter) << (8 * UInt64(position))
            }
            return packed
        }
    }

    /// The number of letters of each word.
    private static let wordLengths: [Int] = words.map(\.utf8CodeUnitCount)

    /// The letters of the word encoding `value`, packed little-endian, and their count.
    ///
    /// Every entry is read and the match selected with masks, so the memory accessed does not
    /// depend on `value` (a word of a share being written out).
    static func letters(ofWordAt value: Int) -> (packed: UInt64, count: Int) {
        var packed: UInt64 = 0
        var count = 0
        for index in 0..<Self.count {
            let difference = UInt64(truncatingIfNeeded: index ^ value)
            let mask = 0 &- (((difference | (0 &- difference)) >> 63) ^ 1)
            packed |= packedWords[index] & mask
            count |= wordLengths[index] & Int(truncatingIfNeeded: mask)
        }
        return (packed, count)
    }

    /// The value of the word spelled by `letters[0..<count]` (ASCII, either case), or `nil` when it
    /// is not in the list.
    ///
    /// Every entry is compared, without an early exit and without branching on the letters, so the
    /// scan's timing does not reveal which word of a (secret) share was looked up.
    static func index(ofLetters letters: UnsafeRawBufferPointer.SubSequence) -> Int? {
        var candidate: UInt64 = 0
        var malformed: UInt64 = letters.count > maximumWordLength || letters.isEmpty ? 1 : 0
        for (position, byte) in letters.prefix(maximumWordLength).enumerated() {
            let lowered = byte | 0x20  // only A-Z and a-z land in a-z
            let isLetter: UInt64 = (lowered &- 0x61) < 26 ? 1 : 0
            malformed |= isLetter ^ 1
            candidate |= UInt64(lowered) << (8 * UInt64(position))
        }
        var found: UInt64 = 0  // the matching index + 1, or 0
        for (index, packed) in packedWords.enumerated() {
            let difference = packed ^ candidate
            let isEqual = ((difference | (0 &- difference)) >> 63) ^ 1
            found |= (0 &- isEqual) & UInt64(index + 1)
        }
        let valid = (0 &- (malformed ^ 1)) & found
        return valid == 0 ? nil : Int(valid - 1)
    }
}
