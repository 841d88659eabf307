/// A template is one JSON object keyed by spec name; each value's JSON type follows the
/// attribute's ``BackupAttributeKind`` (booleans, numbers, hex strings, text, short names, arrays
/// of mechanism numbers). Unknown names and wrong kinds are refused.
extension BackupTemplate: Codable {
    private struct Name: CodingKey {
        let stringValue: String
        init(stringValue: String) { self.stringValue = stringValue }
        var intValue: Int? { nil }
        init?(intValue: Int) { nil }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Name.self)
        for (name, value) in values {
            let key = Name(stringValue: name.rawValue)
            switch value {
            case .bool(let flag): try container.encode(flag, forKey: key)
            case .number(let number): try container.encode(number, forKey: key)
            case .bytes(let bytes): try container.encode(bytes.hexString, forKey: key)
            case .text(let text), .name(let text): try container.encode(text, forKey: key)
            case .mechanisms(let numbers): try container.encode(numbers, forKey: key)
            }
        }
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Name.self)
        var values: [AttributeName: BackupAttributeValue] = [:]
        for key in container.allKeys {
            guard let entry = BackupAttributeTable.entry(named: AttributeName(rawValue: key.stringValue)) else {
                throw DecodingError.dataCorruptedError(
                    forKey: key, in: container, debugDescription: "unknown attribute \(key.stringValue)")
            }
            switch entry.kind {
            case .bool:
                values[entry.name] = .bool(try container.decode(Bool.self, forKey: key))
            case .number:
                values[entry.name] = .number(try container.decode(UInt.self, forKey: key))
            case .bytes:
                let text = try container.decode(String.self, forKey: key)
                guard let bytes = Hex.decode(text) else {
                    throw DecodingError.dataCorruptedError(
                        forKey: key, in: container, debugDescription: "\(entry.name) is not lowercase hex")
                }
                values[entry.name] = .bytes(bytes)
            case .text:
                values[entry.name] = .text(try container.decode(String.self, forKey: key))
            case .objectClass, .keyType:
                let name = try container.decode(String.self, forKey: key)
                let known =
                    entry.kind == .objectClass
                    ? BackupAttributeTable.objectClasses.contains(ObjectKind(rawValue: name))
                    : BackupAttributeTable.keyTypes.contains(KeyAlgorithm(rawValue: name))
                guard known else {
                    throw DecodingError.dataCorruptedError(
                        forKey: key, in: container, debugDescription: "\(entry.name) \"\(name)\" is not supported")
                }
                values[entry.name] = .name(name)
            case .mechanisms:
                values[entry.name] = .mechanisms(try container.decode([UInt].self, forKey: key))
            }
        }
        self.init(values: values)
    }
}
