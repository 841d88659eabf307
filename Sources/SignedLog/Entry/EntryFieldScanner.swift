import Glibc
import HSMSyncModel

/// Captures the top-level fields the verifier checks (`v`, `log`, `seq`, `prev`, `time`,
/// `action`) while ``StrictJSONParser`` validates the whole line, without allocating.
struct EntryFieldScanner: StrictJSONSink {
    /// A string value, as its raw byte range within the line.
    struct StringField {
        var start: Int
        var count: Int
        var escaped: Bool
    }

    private enum Field {
        case version, log, seq, prev, time, action, other
    }

    private var depth = 0
    private var field = Field.other
    var version: Int64?
    var log: StringField?
    var seq: Int64?
    var prev: StringField?
    var time: StringField?
    var action: StringField?
    /// The first known field with a value of the wrong JSON type.
    var wrongType: String?

    @inline(__always)
    private static func match(_ raw: UnsafeRawBufferPointer, _ name: StaticString) -> Bool {
        guard raw.count == name.utf8CodeUnitCount else { return false }
        let expected = name.utf8Start
        for index in 0..<raw.count where raw[index] != expected[index] { return false }
        return true
    }

    mutating func beginObject() {
        if depth == 1 { noteWrongType() }
        depth += 1
    }

    mutating func key(_ raw: UnsafeRawBufferPointer, escaped: Bool) {
        guard depth == 1 else { return }
        if escaped {
            field = StrictJSONParser.unescape(raw, escaped: true).withUnsafeBytes { Self.field(named: $0) }
        } else {
            field = Self.field(named: raw)
        }
    }

    private static func field(named bytes: UnsafeRawBufferPointer) -> Field {
        guard bytes.count <= 6, bytes.count > 0 else { return .other }
        switch bytes[0] {
        case UInt8(ascii: "v"), UInt8(ascii: "l"), UInt8(ascii: "s"), UInt8(ascii: "p"), UInt8(ascii: "t"),
            UInt8(ascii: "a"):
            break
        default: return .other
        }
        if match(bytes, "v") { return .version }
        if match(bytes, "log") { return .log }
        if match(bytes, "seq") { return .seq }
        if match(bytes, "prev") { return .prev }
        if match(bytes, "time") { return .time }
        if match(bytes, "action") { return .action }
        return .other
    }

    mutating func endObject() throws(JSONSyntaxError) { depth -= 1 }

    mutating func beginArray() {
        if depth == 1 { noteWrongType() }
        depth += 1
    }

    mutating func endArray() { depth -= 1 }

    mutating func string(_ raw: UnsafeRawBufferPointer, escaped: Bool, offset: Int) throws(JSONSyntaxError) {
        guard depth == 1 else { return }
        let value = StringField(start: offset + 1, count: raw.count, escaped: escaped)
        switch field {
        case .log: log = value
        case .prev: prev = value
        case .time: time = value
        case .action: action = value
        case .version, .seq: noteWrongType()
        case .other: break
        }
    }

    mutating func integer(_ value: Int64) {
        guard depth == 1 else { return }
        switch field {
        case .version: version = value
        case .seq: seq = value
        case .other: break
        default: noteWrongType()
        }
    }

    mutating func bool(_ value: Bool) {
        if depth == 1 { noteWrongType() }
    }

    mutating func null() {
        if depth == 1 { noteWrongType() }
    }

    private mutating func noteWrongType() {
        guard wrongType == nil else { return }
        switch field {
        case .version: wrongType = "v"
        case .log: wrongType = "log"
        case .seq: wrongType = "seq"
        case .prev: wrongType = "prev"
        case .time: wrongType = "time"
        case .action: wrongType = "action"
        case .other: break
        }
    }
}
