public import Foundation

/// Timestamps in UTC as hsmsync writes and reads them: RFC 3339 with `Z`, plus two colon-free
/// forms of the same fields for file and directory names.
///
/// Fractions are truncated, never rounded, so a time always shows the second (or millisecond) it
/// falls in. Written by arithmetic rather than by Foundation's formatters: their output depends on
/// the locale (`DateFormatter`) and on the toolchain (newer `ISO8601FormatStyle`s round
/// milliseconds), and a signed entry or a sealed envelope must depend on neither.
public struct RFC3339: Sendable, Hashable {
    private let dateSeparators: Bool
    private let timeSeparators: Bool
    private let milliseconds: Bool
    private let zone: Bool

    /// `2026-05-04T14:03:22Z`: envelopes' `createdAt`, dates inside log entry fields.
    public static let seconds = RFC3339(dateSeparators: true, timeSeparators: true, milliseconds: false, zone: true)

    /// `2026-05-04T14:03:22.118Z`: log entries' `time`, reports' `generatedAt`.
    public static let milliseconds = RFC3339(
        dateSeparators: true, timeSeparators: true, milliseconds: true, zone: true)

    /// `2026-05-04T140322.118Z`: the milliseconds form without `:`, for the names of the files a
    /// log's recovery saves torn bytes to. Not RFC 3339 itself.
    public static let millisecondsWithoutColons = RFC3339(
        dateSeparators: true, timeSeparators: false, milliseconds: true, zone: true)

    /// `20260504T140322`: ISO 8601's basic format without a zone designator (the time is UTC), for
    /// rehearsal log directory names. Not RFC 3339 itself.
    public static let basicSeconds = RFC3339(
        dateSeparators: false, timeSeparators: false, milliseconds: false, zone: false)

    private init(dateSeparators: Bool, timeSeparators: Bool, milliseconds: Bool, zone: Bool) {
        self.dateSeparators = dateSeparators
        self.timeSeparators = timeSeparators
        self.milliseconds = milliseconds
        self.zone = zone
    }

    /// `date` in this form.
    public func string(from date: Date) -> String {
        let (seconds, nanoseconds) = Self.split(date)
        return string(seconds: seconds, nanoseconds: nanoseconds)
    }

    /// The time `seconds` after 1970-01-01T00:00:00Z plus `nanoseconds`, in this form.
    package func string(seconds: Int64, nanoseconds: Int32) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(24)
        append(seconds: seconds, nanoseconds: nanoseconds, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends the time as bytes, without building strings (the log writes one per entry).
    package func append(seconds: Int64, nanoseconds: Int32, to out: inout [UInt8]) {
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = seconds - days * 86_400
        let (year, month, day) = Self.civil(fromDays: days)
        func digits(_ value: Int64, _ width: Int) {
            var divisor: Int64 = 1
            for _ in 1..<width { divisor *= 10 }
            while value / divisor >= 10 { divisor *= 10 }
            while divisor > 0 {
                out.append(UInt8(truncatingIfNeeded: 0x30 + value / divisor % 10))
                divisor /= 10
            }
        }
        digits(year, 4)
        if dateSeparators { out.append(UInt8(ascii: "-")) }
        digits(month, 2)
        if dateSeparators { out.append(UInt8(ascii: "-")) }
        digits(day, 2)
        out.append(UInt8(ascii: "T"))
        digits(secondOfDay / 3600, 2)
        if timeSeparators { out.append(UInt8(ascii: ":")) }
        digits(secondOfDay / 60 % 60, 2)
        if timeSeparators { out.append(UInt8(ascii: ":")) }
        digits(secondOfDay % 60, 2)
        if milliseconds {
            out.append(UInt8(ascii: "."))
            digits(Int64(nanoseconds / 1_000_000), 3)
        }
        if zone { out.append(UInt8(ascii: "Z")) }
    }

    /// `date` as seconds since 1970 and nanoseconds within that second, truncated.
    static func split(_ date: Date) -> (seconds: Int64, nanoseconds: Int32) {
        // `Date` keeps its interval since 2001, where the fraction is exact; `timeIntervalSince1970`
        // adds 978,307,200 s and rounds, which can move a fraction across a millisecond. Foundation's
        // ISO 8601 formatter read the same interval, so reports and envelopes keep their bytes.
        let interval = date.timeIntervalSinceReferenceDate
        let whole = interval.rounded(.down)
        let nanoseconds = min(Int32((interval - whole) * 1e9), 999_999_999)
        return (Int64(whole) + 978_307_200, nanoseconds)
    }

    /// Parses the strict RFC 3339 form, `YYYY-MM-DDTHH:MM:SS[.fraction]Z` with one to nine fraction
    /// digits; `nil` for anything else (lowercase `t`/`z`, offsets, leap seconds, impossible dates).
    ///
    /// - Returns: seconds since 1970-01-01T00:00:00Z and nanoseconds within the second.
    public static func parse(_ text: some StringProtocol) -> (seconds: Int64, nanoseconds: Int32)? {
        let bytes = Array(text.utf8)
        return bytes.withUnsafeBytes { parse($0) }
    }

    /// The same over bytes: the log verifier reads times in place.
    package static func parse(_ b: UnsafeRawBufferPointer) -> (seconds: Int64, nanoseconds: Int32)? {
        guard b.count >= 20, b[4] == UInt8(ascii: "-"), b[7] == UInt8(ascii: "-"), b[10] == UInt8(ascii: "T"),
            b[13] == UInt8(ascii: ":"), b[16] == UInt8(ascii: ":"), b[b.count - 1] == UInt8(ascii: "Z")
        else { return nil }
        func number(_ range: Range<Int>) -> Int64? {
            var value: Int64 = 0
            for index in range {
                let byte = b[index]
                guard byte >= 0x30 && byte <= 0x39 else { return nil }
                value = value * 10 + Int64(byte - 0x30)
            }
            return value
        }
        guard let year = number(0..<4), let month = number(5..<7), let day = number(8..<10),
            let hour = number(11..<13), let minute = number(14..<16), let second = number(17..<19),
            (1...12).contains(month), day >= 1, day <= daysIn(month: month, year: year),
            hour < 24, minute < 60, second < 60
        else { return nil }
        var nanoseconds: Int64 = 0
        let fractionEnd = b.count - 1
        if fractionEnd > 19 {
            let digits = fractionEnd - 20
            guard b[19] == UInt8(ascii: "."), (1...9).contains(digits), let fraction = number(20..<fractionEnd) else {
                return nil
            }
            nanoseconds = fraction
            for _ in digits..<9 { nanoseconds *= 10 }
        }
        let days = daysFromCivil(year: year, month: month, day: day)
        return (days * 86_400 + hour * 3600 + minute * 60 + second, Int32(nanoseconds))
    }

    private static func daysIn(month: Int64, year: Int64) -> Int64 {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
    private static func daysFromCivil(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    private static func civil(fromDays days: Int64) -> (Int64, Int64, Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}
