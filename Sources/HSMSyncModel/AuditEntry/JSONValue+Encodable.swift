import Foundation

extension JSONValue {
    /// A value's `Encodable` form as an entry field: how results (transport installs, agreements,
    /// verifications) reach the log without a second, hand-kept list of their fields.
    ///
    /// - Throws: ``JSONValueEncodingError`` for a non-integral number (entries carry no floats)
    ///   or anything the encoder refuses.
    public init(encoding value: some Encodable) throws {
        let data = Data(try CanonicalJSON.encode(encodable: value))
        self = try JSONValue(foundation: JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]))
    }

    private init(foundation object: Any) throws {
        switch object {
        case is NSNull:
            self = .null
        case let string as String:
            self = .string(string)
        case let number as NSNumber:
            // JSONSerialization gives booleans as NSNumbers whose Objective-C type is "c".
            if String(cString: number.objCType) == "c" {
                self = .bool(number.boolValue)
            } else if let integer = Int64(number.stringValue) {
                self = .integer(integer)
            } else {
                throw JSONValueEncodingError.notAnInteger(number.stringValue)
            }
        case let array as [Any]:
            self = .array(try array.map(JSONValue.init(foundation:)))
        case let dictionary as [String: Any]:
            self = .object(try dictionary.mapValues(JSONValue.init(foundation:)))
        default:
            throw JSONValueEncodingError.unsupported(String(describing: type(of: object)))
        }
    }
}

/// A value could not become an entry field.
public enum JSONValueEncodingError: Error, Hashable, CustomStringConvertible {
    case notAnInteger(String)
    case unsupported(String)

    public var description: String {
        switch self {
        case .notAnInteger(let text): return "log entries carry integers only, not \(text)"
        case .unsupported(let type): return "cannot record a \(type) in a log entry"
        }
    }
}
