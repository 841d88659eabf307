import HSMSyncModel

extension StrictJSONParser {
    /// Scans a string starting at the opening quote; returns the byte range between the quotes.
    @inline(__always)
    mutating func scanString() throws(JSONSyntaxError) -> (Range<Int>, escaped: Bool) {
        let base = self.base!
        let end = self.end
        var cursor = position + 1
        let start = cursor
        var escaped = false
        while true {
            // Eight plain bytes at a time: none below 0x20, none '"', '\\', 0x7F or non-ASCII.
            while end - cursor >= 8 {
                let word = UnsafeRawPointer(base + cursor).loadUnaligned(as: UInt64.self)
                if Self.needsAttention(word) { break }
                cursor += 8
            }
            guard cursor < end else {
                position = cursor
                throw JSONSyntaxError(offset: start - 1, reason: "unterminated string")
            }
            let byte = base[cursor]
            if byte == UInt8(ascii: "\"") {
                position = cursor + 1
                return (start..<cursor, escaped)
            }
            if byte >= 0x20 && byte < 0x7F && byte != UInt8(ascii: "\\") {
                cursor += 1
                continue
            }
            position = cursor
            if byte == UInt8(ascii: "\\") {
                escaped = true
                try scanEscape()
            } else if byte < 0x80 {
                throw unexpected("control characters must be escaped")
            } else {
                try scanUTF8Sequence()
            }
            cursor = position
        }
    }

    /// Whether any of the eight bytes of `word` is a control character, `"`, `\`, DEL or
    /// non-ASCII (SWAR: a byte's high bit survives `(x - k) & ~x` only where x < k).
    @inline(__always)
    private static func needsAttention(_ word: UInt64) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        @inline(__always) func hasZeroByte(_ value: UInt64) -> UInt64 { (value &- ones) & ~value }
        let below = (word &- (ones &* 0x20)) & ~word
        let hits =
            below | hasZeroByte(word ^ (ones &* 0x22)) | hasZeroByte(word ^ (ones &* 0x5C))
            | hasZeroByte(word ^ (ones &* 0x7F))
        return (hits | word) & highs != 0
    }

    private mutating func scanEscape() throws(JSONSyntaxError) {
        let start = position
        position += 1
        guard position < end else { throw unexpected("an escape") }
        switch base[position] {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
            UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
            position += 1
        case UInt8(ascii: "u"):
            position += 1
            let unit = try scanHex4()
            if (0xDC00...0xDFFF).contains(unit) {
                throw JSONSyntaxError(offset: start, reason: "unpaired surrogate escape")
            }
            if (0xD800...0xDBFF).contains(unit) {
                guard end - position >= 6, base[position] == UInt8(ascii: "\\"), base[position + 1] == UInt8(ascii: "u")
                else {
                    throw JSONSyntaxError(offset: start, reason: "unpaired surrogate escape")
                }
                position += 2
                let low = try scanHex4()
                guard (0xDC00...0xDFFF).contains(low) else {
                    throw JSONSyntaxError(offset: start, reason: "unpaired surrogate escape")
                }
            }
        default:
            throw JSONSyntaxError(offset: start, reason: "invalid escape")
        }
    }

    private mutating func scanHex4() throws(JSONSyntaxError) -> UInt32 {
        guard end - position >= 4 else { throw unexpected("four hex digits") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = base[position]
            let digit: UInt32
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(byte - 0x30)
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(byte - 0x61 + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(byte - 0x41 + 10)
            default: throw unexpected("a hex digit")
            }
            value = value << 4 | digit
            position += 1
        }
        return value
    }

    /// Validates one multi-byte UTF-8 sequence (RFC 3629 table), rejecting C1 controls.
    private mutating func scanUTF8Sequence() throws(JSONSyntaxError) {
        let start = position
        let lead = base[position]
        let count: Int
        var low: UInt8 = 0x80
        var high: UInt8 = 0xBF
        switch lead {
        case 0xC2...0xDF: count = 2
        case 0xE0: count = 3; low = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF: count = 3
        case 0xED: count = 3; high = 0x9F
        case 0xF0: count = 4; low = 0x90
        case 0xF1...0xF3: count = 4
        case 0xF4: count = 4; high = 0x8F
        default:
            throw JSONSyntaxError(offset: start, reason: "invalid UTF-8 (byte 0x\(Hex.encode([lead])))")
        }
        guard end - position >= count else {
            throw JSONSyntaxError(offset: start, reason: "invalid UTF-8 (truncated sequence)")
        }
        let second = base[position + 1]
        guard second >= low && second <= high else {
            throw JSONSyntaxError(offset: start, reason: "invalid UTF-8 (byte 0x\(Hex.encode([second])))")
        }
        for index in 2..<max(count, 2) {
            let next = base[position + index]
            guard next & 0xC0 == 0x80 else {
                throw JSONSyntaxError(offset: start, reason: "invalid UTF-8 (byte 0x\(Hex.encode([next])))")
            }
        }
        if lead == 0xC2 && second <= 0x9F {
            throw JSONSyntaxError(
                offset: start, reason: "raw C1 control character U+00\(Hex.encode([second]).uppercased())")
        }
        position += count
    }

    /// The text of a string or key body: the raw bytes when `escaped` is false, else with its
    /// escapes resolved (the body must have passed the parser).
    static func unescape(_ raw: UnsafeRawBufferPointer, escaped: Bool) -> [UInt8] {
        guard escaped else { return Array(raw) }
        var out: [UInt8] = []
        out.reserveCapacity(raw.count)
        var index = 0
        func hex4(_ at: Int) -> UInt32 {
            var value: UInt32 = 0
            for offset in 0..<4 {
                let byte = raw[at + offset]
                let digit: UInt32 =
                    byte <= 0x39
                    ? UInt32(byte - 0x30) : byte <= 0x46 ? UInt32(byte - 0x41 + 10) : UInt32(byte - 0x61 + 10)
                value = value << 4 | digit
            }
            return value
        }
        while index < raw.count {
            let byte = raw[index]
            guard byte == UInt8(ascii: "\\") else {
                out.append(byte)
                index += 1
                continue
            }
            let kind = raw[index + 1]
            index += 2
            switch kind {
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = hex4(index)
                index += 4
                if (0xD800...0xDBFF).contains(scalar) {
                    let lowUnit = hex4(index + 2)
                    index += 6
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (lowUnit - 0xDC00)
                }
                out.append(contentsOf: String(Character(Unicode.Scalar(scalar)!)).utf8)
            default: out.append(kind)  // " \ /
            }
        }
        return out
    }

    /// The text of a string or key body.
    static func decode(_ raw: UnsafeRawBufferPointer, escaped: Bool) -> String {
        String(decoding: unescape(raw, escaped: escaped), as: UTF8.self)
    }
}
