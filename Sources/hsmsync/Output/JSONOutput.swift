import Foundation

/// The one way commands print `--json`: a single document, stable key order, RFC 3339 dates.
enum JSONOutput {
    /// Prints `value` as the only thing on stdout.
    static func print(_ value: some Encodable) throws {
        var bytes = try StreamingJSONEncoder().encode(value)
        bytes.append(UInt8(ascii: "\n"))
        Console.write(bytes)
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
