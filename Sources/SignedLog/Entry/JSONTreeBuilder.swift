package import HSMSyncModel

/// Builds a ``JSONValue`` from ``StrictJSONParser`` events (for `log show` and the public
/// ``AuditEntry``; the verifier uses the allocation-free ``EntryFieldScanner``).
package struct JSONTreeBuilder: StrictJSONSink {
    private enum Container {
        case object([String: JSONValue], key: String?)
        case array([JSONValue])
    }

    private var stack: [Container] = []
    /// The finished top-level value.
    private(set) var result: JSONValue?
    /// Two keys of one object that differ in bytes but are equal as Swift strings (canonically
    /// equivalent Unicode), which a Swift dictionary cannot keep apart.
    private(set) var collidingKey: String?

    mutating func beginObject() { stack.append(.object([:], key: nil)) }

    mutating func key(_ raw: UnsafeRawBufferPointer, escaped: Bool) {
        guard case .object(let members, _) = stack.removeLast() else { preconditionFailure("key outside an object") }
        let key = StrictJSONParser.decode(raw, escaped: escaped)
        if members[key] != nil && collidingKey == nil { collidingKey = key }
        stack.append(.object(members, key: key))
    }

    mutating func endObject() throws(JSONSyntaxError) {
        guard case .object(let members, _) = stack.removeLast() else { preconditionFailure("unbalanced object") }
        add(.object(members))
    }

    mutating func beginArray() { stack.append(.array([])) }

    mutating func endArray() {
        guard case .array(let elements) = stack.removeLast() else { preconditionFailure("unbalanced array") }
        add(.array(elements))
    }

    mutating func string(_ raw: UnsafeRawBufferPointer, escaped: Bool, offset: Int) throws(JSONSyntaxError) {
        add(.string(StrictJSONParser.decode(raw, escaped: escaped)))
    }

    mutating func integer(_ value: Int64) { add(.integer(value)) }
    mutating func bool(_ value: Bool) { add(.bool(value)) }
    mutating func null() { add(.null) }

    private mutating func add(_ value: JSONValue) {
        guard let top = stack.popLast() else {
            result = value
            return
        }
        switch top {
        case .object(var members, let key):
            members[key!] = value
            stack.append(.object(members, key: nil))
        case .array(var elements):
            elements.append(value)
            stack.append(.array(elements))
        }
    }

    /// Parses one line strictly into a value.
    package static func parse(_ line: UnsafeRawBufferPointer) throws(JSONSyntaxError) -> JSONValue {
        var parser = StrictJSONParser()
        var builder = JSONTreeBuilder()
        try parser.parse(line, into: &builder)
        if let key = builder.collidingKey {
            throw JSONSyntaxError(offset: 0, reason: "keys equal under Unicode canonical equivalence: \"\(key)\"")
        }
        return builder.result!
    }
}
