import HSMSyncModel

/// The RS1024 checksum of SLIP-0039: a Reed–Solomon code over GF(1024) that guarantees detection
/// of any error affecting at most 3 words and makes other errors undetected with probability
/// below 1 in 10⁹.
///
/// The computation touches the (secret) word values without branching on them.
enum RS1024 {
    /// The number of checksum words at the end of every mnemonic.
    static let checksumWordCount = 3

    /// The customization string of shares without the extendable backup flag.
    static let customization: [UInt8] = Array("shamir".utf8)

    /// The customization string of shares with the extendable backup flag.
    static let extendableCustomization: [UInt8] = Array("shamir_extendable".utf8)

    /// The customization string for a share's extendable flag.
    static func customization(extendable: Bool) -> [UInt8] {
        extendable ? extendableCustomization : customization
    }

    private static let generator: [UInt32] = [
        0x00E0_E040, 0x01C1_C080, 0x0383_8100, 0x0707_0200, 0x0E0E_0009,
        0x1C0C_2412, 0x3808_6C24, 0x3090_FC48, 0x21B1_F890, 0x03F3_F120,
    ]

    /// Whether `values` (a whole mnemonic, checksum included) carry a valid checksum.
    static func isValid(_ values: borrowing WordValues, extendable: Bool) -> Bool {
        polymod(values, upTo: values.count, customization: customization(extendable: extendable), zeroWords: 0) == 1
    }

    /// The three checksum words for the first `count - 3` words of `values`.
    static func checksum(
        of values: borrowing WordValues, dataWordCount: Int, extendable: Bool
    ) -> (Int, Int, Int) {
        let remainder =
            polymod(
                values, upTo: dataWordCount, customization: customization(extendable: extendable),
                zeroWords: checksumWordCount) ^ 1
        return (Int(remainder >> 20) & 1023, Int(remainder >> 10) & 1023, Int(remainder) & 1023)
    }

    private static func polymod(
        _ values: borrowing WordValues, upTo count: Int, customization: [UInt8], zeroWords: Int
    ) -> UInt32 {
        var checksum: UInt32 = 1
        func absorb(_ value: UInt32) {
            let top = checksum >> 20
            checksum = (checksum & 0xF_FFFF) << 10 ^ value
            for bit in 0..<10 {
                checksum ^= generator[bit] & (0 &- ((top >> UInt32(bit)) & 1))
            }
        }
        for byte in customization {
            absorb(UInt32(byte))
        }
        for position in 0..<count {
            absorb(UInt32(values[position]))
        }
        for _ in 0..<zeroWords {
            absorb(0)
        }
        return checksum
    }
}
