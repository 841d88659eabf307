import HSMSyncModel

/// Arithmetic in GF(2⁸) reduced by x⁸ + x⁴ + x³ + x + 1 (the Rijndael polynomial), the field of
/// SLIP-0039's Shamir sharing. Addition is XOR.
///
/// Multiplication works bit by bit with masks instead of log/exp tables, so multiplying a secret
/// byte neither branches on it nor indexes memory with it.
enum GF256 {
    /// `a · b`.
    static func multiply(_ a: UInt8, _ b: UInt8) -> UInt8 {
        var a = a
        var b = b
        var product: UInt8 = 0
        for _ in 0..<8 {
            product ^= a & (0 &- (b & 1))
            let carry = a >> 7
            a = (a << 1) ^ (0x1B & (0 &- carry))
            b >>= 1
        }
        return product
    }

    /// `a⁻¹`, computed as a²⁵⁴; `a` must not be zero.
    static func inverse(_ a: UInt8) -> UInt8 {
        precondition(a != 0, "zero has no inverse in GF(256)")
        var result: UInt8 = 1
        var power = a
        var exponent = 254
        while exponent > 0 {
            if exponent & 1 == 1 {
                result = multiply(result, power)
            }
            power = multiply(power, power)
            exponent >>= 1
        }
        return result
    }
}
