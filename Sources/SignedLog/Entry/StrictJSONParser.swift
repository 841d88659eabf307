import Glibc
import HSMSyncModel

/// Receives the values of a JSON text as ``StrictJSONParser`` reads them. Strings and keys are
/// lent as the raw bytes between the quotes, with `escaped` telling whether they contain a
/// backslash escape; ``StrictJSONParser/decode(_:escaped:)`` turns them into text.
protocol StrictJSONSink {
    mutating func beginObject()
    mutating func key(_ raw: UnsafeRawBufferPointer, escaped: Bool)
    mutating func endObject() throws(JSONSyntaxError)
    mutating func beginArray()
    mutating func endArray()
    mutating func string(_ raw: UnsafeRawBufferPointer, escaped: Bool, offset: Int) throws(JSONSyntaxError)
    mutating func integer(_ value: Int64)
    mutating func bool(_ value: Bool)
    mutating func null()
}

/// The strict byte-level JSON grammar of log lines (AUDIT-LOG.md §3), in one pass without
/// allocation on the common path.
///
/// Rejected: invalid UTF-8 (overlong forms, surrogates, beyond U+10FFFF), a byte order mark, raw
/// control characters (U+0000–U+001F including tab and CR, U+007F–U+009F), unpaired surrogate
/// escapes, numbers with a fraction or exponent, integers beyond 64 bits, duplicate keys in any
/// object (compared after unescaping), nesting deeper than ``maximumDepth``, anything after the
/// top-level object, and lines longer than ``maximumLineLength`` bytes. Insignificant white
/// space may only be spaces. The top-level value must be an object.
package struct StrictJSONParser {
    /// The longest line accepted, in bytes without the newline (the C2SP tiles limit).
    package static let maximumLineLength = 65_535
    /// The deepest nesting accepted.
    static let maximumDepth = 32

    private struct KeySpan {
        var start: Int
        var count: Int
        var escaped: Bool
    }

    private var keys: [KeySpan] = []
    private var objectStarts: [Int] = []
    /// For objects with many keys, the unescaped keys so far (pairwise comparison would be quadratic).
    private var largeObjectKeys: [Set<[UInt8]>?] = []
    /// Per open object: whether its keys so far are unescaped and strictly increasing (as the
    /// canonical writer emits them), which makes each new greater key unique at one comparison.
    private var keysAscending: [Bool] = []
    private var base: UnsafePointer<UInt8>!
    private var end = 0
    private var position = 0

    package init() {
        keys.reserveCapacity(64)
        objectStarts.reserveCapacity(Self.maximumDepth)
    }

    /// Parses one line (without its newline) into `sink`.
    mutating func parse<Sink: StrictJSONSink>(_ line: UnsafeRawBufferPointer, into sink: inout Sink)
        throws(JSONSyntaxError)
    {
        guard line.count <= Self.maximumLineLength else {
            throw JSONSyntaxError(
                offset: Self.maximumLineLength,
                reason: "line of \(line.count) bytes is longer than \(Self.maximumLineLength)")
        }
        guard line.count > 0, let pointer = line.baseAddress?.assumingMemoryBound(to: UInt8.self) else {
            throw JSONSyntaxError(offset: 0, reason: "empty line")
        }
        if line.count >= 3 && line[0] == 0xEF && line[1] == 0xBB && line[2] == 0xBF {
            throw JSONSyntaxError(offset: 0, reason: "byte order mark (U+FEFF) at the start of the line")
        }
        base = pointer
        end = line.count
        position = 0
        keys.removeAll(keepingCapacity: true)
        objectStarts.removeAll(keepingCapacity: true)
        largeObjectKeys.removeAll(keepingCapacity: true)
        keysAscending.removeAll(keepingCapacity: true)
        skipSpaces()
        guard position < end, base[position] == UInt8(ascii: "{") else {
            throw unexpected("the line is not a JSON object")
        }
        try parseValue(into: &sink, depth: 0)
        skipSpaces()
        if position < end {
            throw unexpected("bytes after the end of the object")
        }
    }

    private mutating func skipSpaces() {
        while position < end && base[position] == 0x20 { position += 1 }
    }

    private func unexpected(_ expectation: String) -> JSONSyntaxError {
        guard position < end else {
            return JSONSyntaxError(offset: position, reason: "unexpected end of line: \(expectation)")
        }
        let byte = base[position]
        let shown: String
        switch byte {
        case 0x0D: shown = "carriage return (0x0d)"
        case 0x09: shown = "raw tab (0x09)"
        case 0x00..<0x20, 0x7F: shown = "raw control character 0x" + Hex.encode([byte])
        case 0x80...: shown = "non-ASCII byte 0x" + Hex.encode([byte]) + " outside a string"
        default: shown = "'" + String(UnicodeScalar(byte)) + "'"
        }
        return JSONSyntaxError(offset: position, reason: "\(shown): \(expectation)")
    }

    private mutating func parseValue<Sink: StrictJSONSink>(into sink: inout Sink, depth: Int) throws(JSONSyntaxError) {
        guard position < end else { throw unexpected("a value") }
        switch base[position] {
        case UInt8(ascii: "{"):
            try parseObject(into: &sink, depth: depth + 1)
        case UInt8(ascii: "["):
            try parseArray(into: &sink, depth: depth + 1)
        case UInt8(ascii: "\""):
            let start = position
            let (range, escaped) = try scanString()
            try sink.string(
                UnsafeRawBufferPointer(start: base + range.lowerBound, count: range.count), escaped: escaped,
                offset: start)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            sink.integer(try scanInteger())
        case UInt8(ascii: "t"):
            try expectLiteral("true")
            sink.bool(true)
        case UInt8(ascii: "f"):
            try expectLiteral("false")
            sink.bool(false)
        case UInt8(ascii: "n"):
            try expectLiteral("null")
            sink.null()
        default:
            throw unexpected("a JSON value")
        }
    }

    private mutating func expectLiteral(_ literal: StaticString) throws(JSONSyntaxError) {
        let count = literal.utf8CodeUnitCount
        guard end - position >= count, memcmp(base + position, literal.utf8Start, count) == 0 else {
            throw unexpected("expected \(literal)")
        }
        position += count
    }

    private mutating func parseObject<Sink: StrictJSONSink>(into sink: inout Sink, depth: Int) throws(JSONSyntaxError) {
        guard depth <= Self.maximumDepth else {
            throw JSONSyntaxError(offset: position, reason: "nesting deeper than \(Self.maximumDepth)")
        }
        position += 1  // {
        sink.beginObject()
        objectStarts.append(keys.count)
        largeObjectKeys.append(nil)
        keysAscending.append(true)
        skipSpaces()
        if position < end && base[position] == UInt8(ascii: "}") {
            position += 1
        } else {
            while true {
                guard position < end, base[position] == UInt8(ascii: "\"") else { throw unexpected("a key") }
                let keyOffset = position
                let (range, escaped) = try scanString()
                let span = KeySpan(start: range.lowerBound, count: range.count, escaped: escaped)
                try checkUnique(span, offset: keyOffset)
                keys.append(span)
                sink.key(UnsafeRawBufferPointer(start: base + span.start, count: span.count), escaped: escaped)
                skipSpaces()
                guard position < end, base[position] == UInt8(ascii: ":") else { throw unexpected("':' after a key") }
                position += 1
                skipSpaces()
                try parseValue(into: &sink, depth: depth)
                skipSpaces()
                guard position < end else { throw unexpected("',' or '}'") }
                if base[position] == UInt8(ascii: ",") {
                    position += 1
                    skipSpaces()
                    continue
                }
                guard base[position] == UInt8(ascii: "}") else { throw unexpected("',' or '}'") }
                position += 1
                break
            }
        }
        keys.removeSubrange(objectStarts.removeLast()...)
        largeObjectKeys.removeLast()
        keysAscending.removeLast()
        try sink.endObject()
    }

    /// Rejects `span` when the current object already has a key with the same unescaped text.
    private mutating func checkUnique(_ span: KeySpan, offset: Int) throws(JSONSyntaxError) {
        let first = objectStarts.last!
        guard first < keys.count else {
            if span.escaped { keysAscending[keysAscending.count - 1] = false }
            return
        }
        let candidate = UnsafeRawBufferPointer(start: base + span.start, count: span.count)
        if keysAscending[keysAscending.count - 1] {
            let last = keys[keys.count - 1]
            if !span.escaped && Self.precedes(base + last.start, last.count, base + span.start, span.count) {
                return
            }
            keysAscending[keysAscending.count - 1] = false
        }
        if keys.count - first >= 16 {
            var seen =
                largeObjectKeys[largeObjectKeys.count - 1]
                ?? Set(
                    keys[first...].map { key in
                        Self.unescape(
                            UnsafeRawBufferPointer(start: base + key.start, count: key.count), escaped: key.escaped)
                    })
            largeObjectKeys[largeObjectKeys.count - 1] = nil  // keep `seen` uniquely referenced
            let decoded = Self.unescape(candidate, escaped: span.escaped)
            guard seen.insert(decoded).inserted else {
                throw JSONSyntaxError(
                    offset: offset, reason: "duplicate key \"\(String(decoding: decoded, as: UTF8.self))\"")
            }
            largeObjectKeys[largeObjectKeys.count - 1] = seen
            return
        }
        var decodedCandidate: [UInt8]?
        for index in first..<keys.count {
            let other = keys[index]
            let otherBytes = UnsafeRawBufferPointer(start: base + other.start, count: other.count)
            let same: Bool
            if !span.escaped && !other.escaped {
                same =
                    other.count == span.count
                    && memcmp(otherBytes.baseAddress!, candidate.baseAddress!, span.count) == 0
            } else {
                if decodedCandidate == nil { decodedCandidate = Self.unescape(candidate, escaped: span.escaped) }
                same = Self.unescape(otherBytes, escaped: other.escaped) == decodedCandidate!
            }
            if same {
                let name = String(decoding: decodedCandidate ?? Array(candidate), as: UTF8.self)
                throw JSONSyntaxError(offset: offset, reason: "duplicate key \"\(name)\"")
            }
        }
    }

    private mutating func parseArray<Sink: StrictJSONSink>(into sink: inout Sink, depth: Int) throws(JSONSyntaxError) {
        guard depth <= Self.maximumDepth else {
            throw JSONSyntaxError(offset: position, reason: "nesting deeper than \(Self.maximumDepth)")
        }
        position += 1  // [
        sink.beginArray()
        skipSpaces()
        if position < end && base[position] == UInt8(ascii: "]") {
            position += 1
            sink.endArray()
            return
        }
        while true {
            try parseValue(into: &sink, depth: depth)
            skipSpaces()
            guard position < end else { throw unexpected("',' or ']'") }
            if base[position] == UInt8(ascii: ",") {
                position += 1
                skipSpaces()
                continue
            }
            guard base[position] == UInt8(ascii: "]") else { throw unexpected("',' or ']'") }
            position += 1
            sink.endArray()
            return
        }
    }

    /// `-?(0|[1-9][0-9]*)` within Int64; a fraction or exponent is a float, which log entries never hold.
    private mutating func scanInteger() throws(JSONSyntaxError) -> Int64 {
        let start = position
        var negative = false
        if base[position] == UInt8(ascii: "-") {
            negative = true
            position += 1
        }
        guard position < end, base[position] >= 0x30, base[position] <= 0x39 else {
            throw unexpected("a digit")
        }
        if base[position] == 0x30, position + 1 < end, base[position + 1] >= 0x30, base[position + 1] <= 0x39 {
            throw JSONSyntaxError(offset: start, reason: "number with a leading zero")
        }
        var magnitude: UInt64 = 0
        while position < end, base[position] >= 0x30, base[position] <= 0x39 {
            let (times10, overflow1) = magnitude.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times10.addingReportingOverflow(UInt64(base[position] - 0x30))
            guard !overflow1, !overflow2, sum <= UInt64(Int64.max) + (negative ? 1 : 0) else {
                throw JSONSyntaxError(offset: start, reason: "integer out of the 64-bit range")
            }
            magnitude = sum
            position += 1
        }
        if position < end {
            let next = base[position]
            if next == UInt8(ascii: ".") || next == UInt8(ascii: "e") || next == UInt8(ascii: "E") {
                throw JSONSyntaxError(offset: start, reason: "floating-point number (log entries hold integers only)")
            }
        }
        if negative {
            return magnitude == UInt64(Int64.max) + 1 ? Int64.min : -Int64(magnitude)
        }
        return Int64(magnitude)
    }

    /// Scans a string starting at the opening quote; returns the byte range between the quotes.
    @inline(__always)
    private mutating func scanString() throws(JSONSyntaxError) -> (Range<Int>, escaped: Bool) {
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

    /// Whether the bytes at `a` sort strictly before those at `b` (keys are short: no memcmp call).
    @inline(__always)
    private static func precedes(_ a: UnsafePointer<UInt8>, _ aCount: Int, _ b: UnsafePointer<UInt8>, _ bCount: Int)
        -> Bool
    {
        let common = min(aCount, bCount)
        var index = 0
        while index < common {
            if a[index] != b[index] { return a[index] < b[index] }
            index += 1
        }
        return aCount < bCount
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
