import HSMSyncModel
public import SecureMemory

extension MnemonicShare {
    /// The share's mnemonic: lower-case words separated by single spaces, no trailing newline, in a
    /// new locked buffer (the caller writes it to a share file or shows it to one custodian).
    public func mnemonic() -> SecretBytes {
        let words = wordValues()
        let capacity = words.count * (MnemonicWordList.maximumWordLength + 1)
        return SecretBytes(capacity: capacity) { output in
            var offset = 0
            for position in 0..<words.count {
                if position > 0 {
                    output[offset] = UInt8(ascii: " ")
                    offset += 1
                }
                let (letters, letterCount) = MnemonicWordList.letters(ofWordAt: words[position])
                for index in 0..<letterCount {
                    output[offset + index] = UInt8(truncatingIfNeeded: letters >> (8 * UInt64(index)))
                }
                offset += letterCount
            }
            return offset
        }
    }

    /// The 10-bit values of the share's words, checksum included.
    func wordValues() -> WordValues {
        let metadata = self.metadata
        let valueWordCount = SLIP39Format.valueWordCount(forByteCount: metadata.valueByteCount)
        let dataWordCount = SLIP39Format.fixedWordCount - RS1024.checksumWordCount + valueWordCount
        var words = WordValues(count: dataWordCount + RS1024.checksumWordCount)

        let identifierField =
            metadata.identifier << 5 | (metadata.isExtendable ? 1 << 4 : 0)
            | metadata.iterationExponent
        words[0] = identifierField >> 10
        words[1] = identifierField & 1023
        let parameters =
            metadata.groupIndex << 16 | (metadata.groupThreshold - 1) << 12
            | (metadata.groupCount - 1) << 8 | metadata.memberIndex << 4 | (metadata.memberThreshold - 1)
        words[2] = parameters >> 10
        words[3] = parameters & 1023

        // The value, big-endian, behind enough zero bits to fill whole words.
        value.withUnsafeBytes { bytes in
            var accumulator: UInt32 = 0
            var bitCount = SLIP39Format.bitsPerWord * valueWordCount - 8 * bytes.count
            var position = 4
            for byte in bytes {
                accumulator = accumulator << 8 | UInt32(byte)
                bitCount += 8
                if bitCount >= 10 {
                    bitCount -= 10
                    words[position] = Int(accumulator >> UInt32(bitCount)) & 1023
                    accumulator &= (1 << UInt32(bitCount)) - 1
                    position += 1
                }
            }
        }

        let checksum = RS1024.checksum(of: words, dataWordCount: dataWordCount, extendable: metadata.isExtendable)
        words[dataWordCount] = checksum.0
        words[dataWordCount + 1] = checksum.1
        words[dataWordCount + 2] = checksum.2
        return words
    }
}
