import HSMSyncModel
public import SecureMemory

extension MnemonicShare {
    /// Parses and checks the text of one share, as a custodian typed it or as read from a share file.
    ///
    /// Words are separated by any ASCII white space and compared with the word list without regard
    /// to case; everything from a `#` to the end of its line is a note for humans and is ignored. The
    /// text is read in place: no `String` or array ever holds a share word, and every intermediate
    /// buffer is locked and wiped.
    ///
    /// Checked here, in this order: every word is in the word list; the word count is one a share
    /// can have; the RS1024 checksum; the group fields are consistent; the value's padding bits are
    /// zero. Consistency with other shares is ``ShareRecovery``'s job.
    ///
    /// - Parameters:
    ///   - text: the share's words (ASCII).
    ///   - shareNumber: the share's position in entry order, from 1, used in error messages.
    /// - Throws: ``ShareError`` naming the share (and word) at fault.
    public static func parse(_ text: borrowing SecretBytes, shareNumber: Int) throws(ShareError) -> MnemonicShare {
        let words = try wordValues(of: text, shareNumber: shareNumber)
        let count = words.count
        let valueWordCount = count - SLIP39Format.fixedWordCount
        let paddingBitCount = (SLIP39Format.bitsPerWord * valueWordCount) % 16
        guard count >= SLIP39Format.minimumWordCount, paddingBitCount <= 8 else {
            throw .invalidWordCount(share: shareNumber, count: count)
        }

        let identifierField = words.integer(in: 0..<SLIP39Format.identifierWordCount)
        let identifier = identifierField >> 5
        let isExtendable = (identifierField >> 4) & 1 == 1
        let iterationExponent = identifierField & 0xF
        guard RS1024.isValid(words, extendable: isExtendable) else {
            throw .invalidChecksum(share: shareNumber)
        }

        let parameterStart = SLIP39Format.identifierWordCount
        let parameters = words.integer(in: parameterStart..<parameterStart + SLIP39Format.parameterWordCount)
        let groupIndex = (parameters >> 16) & 0xF
        let groupThreshold = ((parameters >> 12) & 0xF) + 1
        let groupCount = ((parameters >> 8) & 0xF) + 1
        let memberIndex = (parameters >> 4) & 0xF
        let memberThreshold = (parameters & 0xF) + 1
        guard groupThreshold <= groupCount else {
            throw .groupThresholdExceedsGroupCount(share: shareNumber, threshold: groupThreshold, count: groupCount)
        }
        guard groupIndex < groupCount else {
            throw .groupIndexOutOfRange(share: shareNumber, group: groupIndex + 1, count: groupCount)
        }

        let valueByteCount = (SLIP39Format.bitsPerWord * valueWordCount - paddingBitCount) / 8
        let valueStart = parameterStart + SLIP39Format.parameterWordCount
        guard
            let value = unpackValue(
                words, from: valueStart, paddingBitCount: paddingBitCount, byteCount: valueByteCount)
        else {
            throw .invalidPadding(share: shareNumber)
        }
        let metadata = ShareMetadata(
            identifier: identifier, isExtendable: isExtendable, iterationExponent: iterationExponent,
            groupIndex: groupIndex, groupThreshold: groupThreshold, groupCount: groupCount,
            memberIndex: memberIndex, memberThreshold: memberThreshold, valueByteCount: valueByteCount)
        return MnemonicShare(metadata: metadata, value: value)
    }

    /// The word values of `text`, looked up in place.
    private static func wordValues(
        of text: borrowing SecretBytes, shareNumber: Int
    ) throws(ShareError) -> WordValues {
        try text.withUnsafeBytes { (bytes) throws(ShareError) -> WordValues in
            var count = 0
            forEachWord(in: bytes) { _ in count += 1 }
            guard count > 0 else { throw .empty(share: shareNumber) }
            guard count <= SLIP39Format.maximumWordCount else {
                throw .invalidWordCount(share: shareNumber, count: count)
            }
            var values = WordValues(count: count)
            var position = 0
            var unknownWord: Int?
            forEachWord(in: bytes) { letters in
                if let index = MnemonicWordList.index(ofLetters: letters) {
                    values[position] = index
                } else if unknownWord == nil {
                    unknownWord = position + 1
                }
                position += 1
            }
            if let unknownWord {
                throw .unknownWord(share: shareNumber, word: unknownWord)
            }
            return values
        }
    }

    /// Calls `body` with each white-space-separated word of `bytes`, skipping `#` comments.
    private static func forEachWord(
        in bytes: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer.SubSequence) -> Void
    ) {
        var index = bytes.startIndex
        while index < bytes.endIndex {
            let byte = bytes[index]
            if byte == UInt8(ascii: "#") {
                while index < bytes.endIndex, bytes[index] != UInt8(ascii: "\n") {
                    index += 1
                }
            } else if isWhiteSpace(byte) {
                index += 1
            } else {
                let start = index
                while index < bytes.endIndex, !isWhiteSpace(bytes[index]), bytes[index] != UInt8(ascii: "#") {
                    index += 1
                }
                body(bytes[start..<index])
            }
        }
    }

    private static func isWhiteSpace(_ byte: UInt8) -> Bool {
        byte == 0x20 || (0x09...0x0D).contains(byte)
    }

    /// The value bytes spelled by the words from `start` on, or `nil` when a padding bit is set.
    private static func unpackValue(
        _ words: borrowing WordValues, from start: Int, paddingBitCount: Int, byteCount: Int
    ) -> SecretBytes? {
        // The padding (at most 8 bits) sits at the top of the first value word.
        let first = words[start]
        guard first >> (SLIP39Format.bitsPerWord - paddingBitCount) == 0 else { return nil }
        return SecretBytes(capacity: byteCount) { output in
            var accumulator = UInt32(first)
            var bitCount = SLIP39Format.bitsPerWord - paddingBitCount
            var written = 0
            var position = start + 1
            while written < byteCount {
                while bitCount < 8 {
                    accumulator = accumulator << 10 | UInt32(words[position])
                    bitCount += 10
                    position += 1
                }
                bitCount -= 8
                output[written] = UInt8(truncatingIfNeeded: accumulator >> UInt32(bitCount))
                accumulator &= (1 << UInt32(bitCount)) - 1
                written += 1
            }
            return byteCount
        }
    }
}
