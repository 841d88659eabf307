import Foundation

extension CanonicalJSON {
    /// The canonical bytes of an `Encodable` value that is hashed, signed or compared: envelopes
    /// (their seal), journal operations (their digest binds a signed `replicate.intent` entry),
    /// backup bundle sections (signed), and results recorded as entry fields. Keys sorted by their
    /// UTF-8 bytes, no insignificant white space, `/` never escaped, dates as ``RFC3339/seconds``.
    ///
    /// > Important: These are Foundation's `JSONEncoder` bytes, which differ from
    /// > ``encode(_:)`` for a `JSONValue` in three places: `\b` and `\f` are written as short
    /// > escapes, U+007F–U+009F are left raw, and non-integral numbers are written. Seals, journal
    /// > digests and bundle signatures made by earlier versions depend on exactly these bytes (a
    /// > label may hold any of those characters), so they stay.
    ///
    /// - Throws: Whatever the value's `encode(to:)` throws.
    public static func encode(encodable value: some Encodable) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(RFC3339.seconds.string(from: date))
        }
        return Array(try encoder.encode(value))
    }
}
