import Foundation

/// The one way commands print `--json`: a single document, stable key order, RFC 3339 dates.
enum JSONOutput {
    static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(RFC3339.string(from: date))
        }
        return encoder
    }

    /// Prints `value` as the only thing on stdout.
    static func print(_ value: some Encodable) throws {
        let data = try encoder().encode(value)
        Console.out(String(decoding: data, as: UTF8.self))
    }
}

/// RFC 3339 timestamps in UTC with milliseconds, as reports and the audit log write them.
enum RFC3339 {
    static func string(from date: Date) -> String {
        date.formatted(
            .iso8601.year().month().day().dateSeparator(.dash).time(includingFractionalSeconds: true).timeSeparator(
                .colon
            ).timeZone(separator: .omitted))
    }
}
