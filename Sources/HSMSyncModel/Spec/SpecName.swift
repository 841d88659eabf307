/// A PKCS#11 spec constant as hsmsync names it in reports, envelopes, bundles and logs: an open set
/// of string values (a vendor's constant is representable), typed so that an object class is never
/// compared with a key type, and spelled once, here or in the conforming type's static members.
///
/// The model carries names, never the binding's numbers: the PKCS#11 endpoint maps them to the
/// constants it passes to the token. The JSON form is the bare string, so reports and logs read as
/// they always did.
public protocol SpecName: RawRepresentable, Hashable, Comparable, Sendable, Codable, CustomStringConvertible,
    ExpressibleByStringLiteral
where RawValue == String {
    init(rawValue: String)
}

extension SpecName {
    public init(stringLiteral value: String) { self.init(rawValue: value) }

    public var description: String { rawValue }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }

    public init(from decoder: any Decoder) throws {
        self.init(rawValue: try decoder.singleValueContainer().decode(String.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}
