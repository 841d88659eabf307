import Foundation

/// Encodes `Encodable` values straight into UTF-8 bytes, without the intermediate tree Foundation's
/// `JSONEncoder` builds (which costs about as much as a whole SoftHSM2 inventory pass and a hundred
/// megabytes on a 14,000-object token).
///
/// Keys come out in declaration order (stable, and matching DESIGN.md's report layout), `nil`
/// optionals are omitted, dates are RFC 3339 strings, `/` is never escaped. Containers must be
/// used one after another, as synthesised `encode(to:)` implementations do.
public struct StreamingJSONEncoder: Sendable {
    public var prettyPrinted: Bool

    public init(prettyPrinted: Bool = true) {
        self.prettyPrinted = prettyPrinted
    }

    public func encode(_ value: some Encodable) throws -> [UInt8] {
        let writer = JSONByteWriter(prettyPrinted: prettyPrinted)
        try writer.encodeValue(value, depth: 0)
        return writer.bytes
    }
}

/// The shared output and the stack of open containers.
private final class JSONByteWriter {
    var bytes: [UInt8] = []
    let prettyPrinted: Bool
    /// Open containers, innermost last: their closing byte, depth, and whether they hold an element yet.
    var open: [(closer: UInt8, depth: Int, hasElements: Bool)] = []

    init(prettyPrinted: Bool) {
        self.prettyPrinted = prettyPrinted
        bytes.reserveCapacity(1 << 16)
    }

    /// Encodes one value at `depth`, closing whatever containers it opened.
    func encodeValue(_ value: some Encodable, depth: Int) throws {
        let mark = open.count
        switch value {
        case let date as Date:
            writeString(RFC3339.milliseconds.string(from: date))
        case let string as String:
            writeString(string)
        case let bool as Bool:
            write(bool ? "true" : "false")
        default:
            let before = bytes.count
            try value.encode(to: JSONStreamEncoder(writer: self, depth: depth, codingPath: []))
            if bytes.count == before && open.count == mark {
                write("{}")  // encoded nothing, as JSONEncoder renders it
            }
        }
        close(downTo: mark)
    }

    /// Closes containers until only `count` are open.
    func close(downTo count: Int) {
        while open.count > count {
            let container = open.removeLast()
            if container.hasElements { newline(depth: container.depth) }
            bytes.append(container.closer)
        }
    }

    func openContainer(_ opener: UInt8, _ closer: UInt8, depth: Int) {
        bytes.append(opener)
        open.append((closer, depth, false))
    }

    /// Starts the next element of the container at `index` in the stack (closing deeper ones).
    func beginElement(in index: Int) {
        close(downTo: index + 1)
        if open[index].hasElements { bytes.append(UInt8(ascii: ",")) }
        open[index].hasElements = true
        newline(depth: open[index].depth + 1)
    }

    func newline(depth: Int) {
        guard prettyPrinted else { return }
        bytes.append(UInt8(ascii: "\n"))
        bytes.append(contentsOf: repeatElement(UInt8(ascii: " "), count: depth * 2))
    }

    func write(_ text: String) {
        bytes.append(contentsOf: text.utf8)
    }

    func writeKey(_ key: String) {
        writeString(key)
        write(prettyPrinted ? " : " : ":")
    }

    func writeString(_ string: String) {
        bytes.append(UInt8(ascii: "\""))
        for byte in string.utf8 {
            switch byte {
            case UInt8(ascii: "\""): write("\\\"")
            case UInt8(ascii: "\\"): write("\\\\")
            case UInt8(ascii: "\n"): write("\\n")
            case UInt8(ascii: "\r"): write("\\r")
            case UInt8(ascii: "\t"): write("\\t")
            case 0..<0x20:
                write("\\u00")
                bytes.append(hexDigits[Int(byte >> 4)])
                bytes.append(hexDigits[Int(byte & 0xf)])
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    func writeNumber(_ double: Double) throws {
        guard double.isFinite else {
            throw EncodingError.invalidValue(double, .init(codingPath: [], debugDescription: "not a finite number"))
        }
        if double == double.rounded(), abs(double) < 1e15 {
            write(String(Int64(double)))
        } else {
            write("\(double)")
        }
    }
}

private let hexDigits = Array("0123456789abcdef".utf8)

private struct JSONStreamEncoder: Encoder {
    let writer: JSONByteWriter
    let depth: Int
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        writer.openContainer(UInt8(ascii: "{"), UInt8(ascii: "}"), depth: depth)
        return KeyedEncodingContainer(
            KeyedContainer<Key>(writer: writer, index: writer.open.count - 1, depth: depth, codingPath: codingPath))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        writer.openContainer(UInt8(ascii: "["), UInt8(ascii: "]"), depth: depth)
        return UnkeyedContainer(writer: writer, index: writer.open.count - 1, depth: depth, codingPath: codingPath)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer {
        SingleValue(writer: writer, depth: depth, codingPath: codingPath)
    }
}

private struct KeyedContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let writer: JSONByteWriter
    let index: Int
    let depth: Int
    let codingPath: [any CodingKey]

    private func begin(_ key: Key) {
        writer.beginElement(in: index)
        writer.writeKey(key.stringValue)
    }

    mutating func encodeNil(forKey key: Key) throws {
        begin(key)
        writer.write("null")
    }

    mutating func encode(_ value: Bool, forKey key: Key) throws {
        begin(key)
        writer.write(value ? "true" : "false")
    }

    mutating func encode(_ value: String, forKey key: Key) throws {
        begin(key)
        writer.writeString(value)
    }

    mutating func encode(_ value: Double, forKey key: Key) throws {
        begin(key)
        try writer.writeNumber(value)
    }

    mutating func encode(_ value: Int, forKey key: Key) throws {
        begin(key)
        writer.write(String(value))
    }

    mutating func encode(_ value: UInt, forKey key: Key) throws {
        begin(key)
        writer.write(String(value))
    }

    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        begin(key)
        try writer.encodeValue(value, depth: depth + 1)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key)
        -> KeyedEncodingContainer<NestedKey>
    {
        begin(key)
        return JSONStreamEncoder(writer: writer, depth: depth + 1, codingPath: codingPath + [key]).container(
            keyedBy: keyType)
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        begin(key)
        return JSONStreamEncoder(writer: writer, depth: depth + 1, codingPath: codingPath + [key]).unkeyedContainer()
    }

    mutating func superEncoder() -> any Encoder {
        JSONStreamEncoder(writer: writer, depth: depth + 1, codingPath: codingPath)
    }

    mutating func superEncoder(forKey key: Key) -> any Encoder {
        begin(key)
        return JSONStreamEncoder(writer: writer, depth: depth + 1, codingPath: codingPath + [key])
    }
}

private struct UnkeyedContainer: UnkeyedEncodingContainer {
    let writer: JSONByteWriter
    let index: Int
    let depth: Int
    let codingPath: [any CodingKey]
    var count = 0

    private mutating func begin() {
        writer.beginElement(in: index)
        count += 1
    }

    mutating func encodeNil() throws {
        begin()
        writer.write("null")
    }

    mutating func encode(_ value: String) throws {
        begin()
        writer.writeString(value)
    }

    mutating func encode(_ value: Bool) throws {
        begin()
        writer.write(value ? "true" : "false")
    }

    mutating func encode<T: Encodable>(_ value: T) throws {
        begin()
        try writer.encodeValue(value, depth: depth + 1)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<
        NestedKey
    > {
        begin()
        return JSONStreamEncoder(writer: writer, depth: depth + 1, codingPath: codingPath).container(keyedBy: keyType)
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        begin()
        return JSONStreamEncoder(writer: writer, depth: depth + 1, codingPath: codingPath).unkeyedContainer()
    }

    mutating func superEncoder() -> any Encoder {
        begin()
        return JSONStreamEncoder(writer: writer, depth: depth + 1, codingPath: codingPath)
    }
}

private struct SingleValue: SingleValueEncodingContainer {
    let writer: JSONByteWriter
    let depth: Int
    let codingPath: [any CodingKey]

    mutating func encodeNil() throws { writer.write("null") }
    mutating func encode(_ value: Bool) throws { writer.write(value ? "true" : "false") }
    mutating func encode(_ value: String) throws { writer.writeString(value) }
    mutating func encode(_ value: Double) throws { try writer.writeNumber(value) }
    mutating func encode(_ value: Float) throws { try writer.writeNumber(Double(value)) }
    mutating func encode(_ value: Int) throws { writer.write(String(value)) }
    mutating func encode(_ value: Int8) throws { writer.write(String(value)) }
    mutating func encode(_ value: Int16) throws { writer.write(String(value)) }
    mutating func encode(_ value: Int32) throws { writer.write(String(value)) }
    mutating func encode(_ value: Int64) throws { writer.write(String(value)) }
    mutating func encode(_ value: UInt) throws { writer.write(String(value)) }
    mutating func encode(_ value: UInt8) throws { writer.write(String(value)) }
    mutating func encode(_ value: UInt16) throws { writer.write(String(value)) }
    mutating func encode(_ value: UInt32) throws { writer.write(String(value)) }
    mutating func encode(_ value: UInt64) throws { writer.write(String(value)) }
    mutating func encode<T: Encodable>(_ value: T) throws { try writer.encodeValue(value, depth: depth) }
}
