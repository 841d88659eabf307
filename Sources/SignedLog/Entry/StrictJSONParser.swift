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

    struct KeySpan {
        var start: Int
        var count: Int
        var escaped: Bool
    }

    var keys: [KeySpan] = []
    var objectStarts: [Int] = []
    /// For objects with many keys, the unescaped keys so far (pairwise comparison would be quadratic).
    var largeObjectKeys: [Set<[UInt8]>?] = []
    /// Per open object: whether its keys so far are unescaped and strictly increasing (as the
    /// canonical writer emits them), which makes each new greater key unique at one comparison.
    var keysAscending: [Bool] = []
    var base: UnsafePointer<UInt8>!
    var end = 0
    var position = 0

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

    func unexpected(_ expectation: String) -> JSONSyntaxError {
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
}
