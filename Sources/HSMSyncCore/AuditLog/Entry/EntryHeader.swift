/// The fields of one log line that the chain depends on, after the line has passed the strict
/// grammar and the field rules of AUDIT-LOG.md §3: `v` is 1, `log` a string, `seq` a
/// non-negative integer, `prev` 64 lowercase hex digits, `time` strict RFC 3339 UTC, `action` a
/// non-empty string.
struct EntryHeader {
    var seq: Int64
    var log: EntryFieldScanner.StringField
    var prev: EntryFieldScanner.StringField
    var time: EntryTime
    var action: EntryFieldScanner.StringField

    /// Reads and checks `line`; `parser` is reused between lines to avoid allocation.
    /// - Throws: ``JSONSyntaxError`` with the offset and the rule broken.
    static func read(_ line: UnsafeRawBufferPointer, parser: inout StrictJSONParser) throws(JSONSyntaxError)
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
        guard let prev = scanner.prev else { throw JSONSyntaxError(offset: 0, reason: "missing field \"prev\"") }
        guard !prev.escaped, prev.count == 64,
            (0..<64).allSatisfy({ Hex.value(line[prev.start + $0]) != nil })
        else {
            throw JSONSyntaxError(offset: prev.start, reason: "prev is not 64 lowercase hex digits")
        }
        guard let timeField = scanner.time else { throw JSONSyntaxError(offset: 0, reason: "missing field \"time\"") }
        guard !timeField.escaped,
            let time = EntryTime.parse(UnsafeRawBufferPointer(rebasing: line[timeField.start..<timeField.start + timeField.count]))
        else {
            throw JSONSyntaxError(offset: timeField.start, reason: "time is not RFC 3339 UTC (YYYY-MM-DDTHH:MM:SS.sssZ)")
        }
        guard let action = scanner.action else { throw JSONSyntaxError(offset: 0, reason: "missing field \"action\"") }
        guard action.count > 0 else { throw JSONSyntaxError(offset: action.start, reason: "empty action") }
        return EntryHeader(seq: seq, log: log, prev: prev, time: time, action: action)
    }

    /// The raw bytes of a string field.
    static func bytes(of field: EntryFieldScanner.StringField, in line: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: line[field.start..<field.start + field.count])
    }

    /// Whether a string field's text equals `text`.
    static func field(_ field: EntryFieldScanner.StringField, in line: UnsafeRawBufferPointer, equals text: [UInt8]) -> Bool {
        let raw = bytes(of: field, in: line)
        if field.escaped { return StrictJSONParser.unescape(raw, escaped: true) == text }
        return raw.count == text.count && raw.elementsEqual(text)
    }
}
