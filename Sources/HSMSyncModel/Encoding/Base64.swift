/// Standard base64 (RFC 4648 §4) with padding, decoded strictly: only the 64 alphabet characters
/// and trailing `=` padding, a length that is a multiple of four, and unused bits zero, so every
/// byte string has exactly one accepted spelling. Whitespace and missing padding are rejected.
public enum Base64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
    private static let reverse: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (index, character) in alphabet.enumerated() { table[Int(character)] = UInt8(index) }
        return table
    }()

    /// The encoded length of `count` bytes.
    public static func encodedCount(_ count: Int) -> Int { (count + 2) / 3 * 4 }

    /// Encodes `bytes`.
    public static func encode(_ bytes: some Collection<UInt8>) -> String {
        let input = Array(bytes)
        return input.withUnsafeBytes { source in
            String(unsafeUninitializedCapacity: encodedCount(source.count)) { target in
                encode(source, into: UnsafeMutableRawBufferPointer(target))
            }
        }
    }

    /// Encodes `source` into `target` (at least ``encodedCount(_:)`` bytes) and returns the
    /// number of bytes written. Works on raw buffers so secret key text never passes through
    /// `String` or `[UInt8]`.
    @discardableResult
    public static func encode(_ source: UnsafeRawBufferPointer, into target: UnsafeMutableRawBufferPointer) -> Int {
        var out = 0
        var index = 0
        while index + 3 <= source.count {
            let value = UInt32(source[index]) << 16 | UInt32(source[index + 1]) << 8 | UInt32(source[index + 2])
            target[out] = alphabet[Int(value >> 18 & 63)]
            target[out + 1] = alphabet[Int(value >> 12 & 63)]
            target[out + 2] = alphabet[Int(value >> 6 & 63)]
            target[out + 3] = alphabet[Int(value & 63)]
            out += 4
            index += 3
        }
        let rest = source.count - index
        if rest > 0 {
            var value = UInt32(source[index]) << 16
            if rest == 2 { value |= UInt32(source[index + 1]) << 8 }
            target[out] = alphabet[Int(value >> 18 & 63)]
            target[out + 1] = alphabet[Int(value >> 12 & 63)]
            target[out + 2] = rest == 2 ? alphabet[Int(value >> 6 & 63)] : UInt8(ascii: "=")
            target[out + 3] = UInt8(ascii: "=")
            out += 4
        }
        return out
    }

    /// Decodes strictly; `nil` when the text is not canonical base64.
    public static func decode(_ text: some StringProtocol) -> [UInt8]? {
        let utf8 = Array(text.utf8)
        return utf8.withUnsafeBytes { source -> [UInt8]? in
            var output = [UInt8](repeating: 0, count: source.count / 4 * 3)
            let count = output.withUnsafeMutableBytes { decode(source, into: $0) }
            guard let count else { return nil }
            output.removeLast(output.count - count)
            return output
        }
    }

    /// Decodes `source` strictly into `target` (at least `source.count / 4 * 3` bytes).
    /// - Returns: the number of bytes written, or `nil` when `source` is not canonical base64.
    public static func decode(_ source: UnsafeRawBufferPointer, into target: UnsafeMutableRawBufferPointer) -> Int? {
        guard source.count % 4 == 0, target.count >= source.count / 4 * 3 else { return nil }
        var out = 0
        var index = 0
        while index < source.count {
            let isLast = index + 4 == source.count
            var values: (UInt8, UInt8, UInt8, UInt8) = (0, 0, 0, 0)
            var padding = 0
            for offset in 0..<4 {
                let character = source[index + offset]
                var value: UInt8 = 0
                if character == UInt8(ascii: "=") {
                    // Padding only in the last quantum, only in its last two places, only at the end.
                    guard isLast, offset >= 2 else { return nil }
                    padding += 1
                } else {
                    guard padding == 0 else { return nil }
                    value = reverse[Int(character)]
                    guard value != 0xFF else { return nil }
                }
                switch offset {
                case 0: values.0 = value
                case 1: values.1 = value
                case 2: values.2 = value
                default: values.3 = value
                }
            }
            let combined =
                UInt32(values.0) << 18 | UInt32(values.1) << 12 | UInt32(values.2) << 6 | UInt32(values.3)
            target[out] = UInt8(truncatingIfNeeded: combined >> 16)
            out += 1
            if padding < 2 {
                target[out] = UInt8(truncatingIfNeeded: combined >> 8)
                out += 1
            } else if combined & 0xFFFF != 0 {
                return nil  // unused bits set: not the canonical spelling
            }
            if padding < 1 {
                target[out] = UInt8(truncatingIfNeeded: combined)
                out += 1
            } else if padding == 1 && combined & 0xFF != 0 {
                return nil
            }
            index += 4
        }
        return out
    }
}
