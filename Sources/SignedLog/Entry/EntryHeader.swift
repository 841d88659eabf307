import Glibc
import HSMSyncModel

/// The fields of one log line that the chain depends on, after the line has passed the strict
/// grammar and the field rules of AUDIT-LOG.md §3: `v` is 1, `log` a string, `seq` a
/// non-negative integer, `prev` 64 lowercase hex digits, `time` strict RFC 3339 UTC, `action` a
/// non-empty string.
package struct EntryHeader {
    var seq: Int64
    var log: EntryFieldScanner.StringField
    var prev: MerkleHash
    var time: EntryTime
    var action: EntryFieldScanner.StringField

    /// Reads and checks `line`; `parser` is reused between lines to avoid allocation.
    /// - Throws: ``JSONSyntaxError`` with the offset and the rule broken.
    package static func read(_ line: UnsafeRawBufferPointer, parser: inout StrictJSONParser) throws(JSONSyntaxError)
        -> EntryHeader
    {
        var scanner = EntryFieldScanner()
        try parser.parse(line, into: &scanner)
        if let field = scanner.wrongType {
            throw JSONSyntaxError(offset: 0, reason: "field \"\(field)\" has the wrong type")
        }
        guard let version = scanner.version else { throw JSONSyntaxError(offset: 0, reason: "missing field \"v\"") }
        guard version == 1 else { throw JSONSyntaxError(offset: 0, reason: "unknown entry version v=\(version)") }
        guard let log = scanner.log else { throw JSONSyntaxError(offset: 0, reason: "missing field \"log\"") }
        guard let seq = scanner.seq else { throw JSONSyntaxError(offset: 0, reason: "missing field \"seq\"") }
        guard seq >= 0 else { throw JSONSyntaxError(offset: 0, reason: "negative seq \(seq)") }
        guard let prevField = scanner.prev else { throw JSONSyntaxError(offset: 0, reason: "missing field \"prev\"") }
        let prevValue: MerkleHash?
        if prevField.escaped {
            prevValue = text(of: prevField, in: line).withUnsafeBytes { MerkleHash(hexBytes: $0) }
        } else {
            prevValue = MerkleHash(hexBytes: bytes(of: prevField, in: line))
        }
        guard let prev = prevValue else {
            throw JSONSyntaxError(offset: prevField.start, reason: "prev is not 64 lowercase hex digits")
        }
        guard let timeField = scanner.time else { throw JSONSyntaxError(offset: 0, reason: "missing field \"time\"") }
        let timeValue: EntryTime?
        if timeField.escaped {
            timeValue = text(of: timeField, in: line).withUnsafeBytes { EntryTime.parse($0) }
        } else {
            timeValue = EntryTime.parse(bytes(of: timeField, in: line))
        }
        guard let time = timeValue else {
            throw JSONSyntaxError(
                offset: timeField.start, reason: "time is not RFC 3339 UTC (YYYY-MM-DDTHH:MM:SS.sssZ)")
        }
        guard let action = scanner.action else { throw JSONSyntaxError(offset: 0, reason: "missing field \"action\"") }
        guard action.count > 0 else { throw JSONSyntaxError(offset: action.start, reason: "empty action") }
        return EntryHeader(seq: seq, log: log, prev: prev, time: time, action: action)
    }

    /// The text of a string field (escapes resolved).
    static func text(of field: EntryFieldScanner.StringField, in line: UnsafeRawBufferPointer) -> [UInt8] {
        StrictJSONParser.unescape(bytes(of: field, in: line), escaped: field.escaped)
    }

    /// The raw bytes of a string field.
    static func bytes(of field: EntryFieldScanner.StringField, in line: UnsafeRawBufferPointer)
        -> UnsafeRawBufferPointer
    {
        UnsafeRawBufferPointer(rebasing: line[field.start..<field.start + field.count])
    }

    /// Whether a string field's text equals `text`.
    static func field(_ field: EntryFieldScanner.StringField, in line: UnsafeRawBufferPointer, equals text: [UInt8])
        -> Bool
    {
        let raw = bytes(of: field, in: line)
        if field.escaped { return StrictJSONParser.unescape(raw, escaped: true) == text }
        guard raw.count == text.count else { return false }
        return text.withUnsafeBytes { memcmp(raw.baseAddress!, $0.baseAddress!, raw.count) == 0 }
    }
}
