import HSMSyncModel

/// A ``JSONValue`` printed like every other `--json` document: indented, object keys sorted.
struct JSONDocument: Encodable {
    let value: JSONValue

    init(_ value: JSONValue) {
        self.value = value
    }

    private struct Key: CodingKey {
        let stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    func encode(to encoder: any Encoder) throws {
        switch value {
        case .null:
            var container = encoder.singleValueContainer()
            try container.encodeNil()
        case .bool(let bool):
            var container = encoder.singleValueContainer()
            try container.encode(bool)
        case .integer(let integer):
            var container = encoder.singleValueContainer()
            try container.encode(integer)
        case .string(let string):
            var container = encoder.singleValueContainer()
            try container.encode(string)
        case .array(let elements):
            var container = encoder.unkeyedContainer()
            for element in elements { try container.encode(JSONDocument(element)) }
        case .object(let members):
            var container = encoder.container(keyedBy: Key.self)
            for key in members.keys.sorted() {
                try container.encode(JSONDocument(members[key]!), forKey: Key(stringValue: key))
            }
        }
    }
}
