public import Foundation

/// An entry's `time`: RFC 3339 in UTC with `Z`, `YYYY-MM-DDTHH:MM:SS[.fraction]Z` (hsmsync writes
/// milliseconds), kept as POSIX seconds and nanoseconds for comparison.
public struct EntryTime: Hashable, Comparable, Sendable {
    /// Seconds since 1970-01-01T00:00:00Z.
    public let seconds: Int64
    /// Nanoseconds within the second.
    public let nanoseconds: Int32

    /// The time of `date`, truncated to milliseconds (what is written).
    public init(_ date: Date) {
        // Not `RFC3339`'s exact reading of a `Date`: in rare cases the two differ by a millisecond
        // (float rounding), and entries keep the times this arithmetic has always given them.
        let milliseconds = Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
        seconds = milliseconds >= 0 ? milliseconds / 1000 : (milliseconds - 999) / 1000
        nanoseconds = Int32(milliseconds - seconds * 1000) * 1_000_000
    }

    package init(seconds: Int64, nanoseconds: Int32) {
        self.seconds = seconds
        self.nanoseconds = nanoseconds
    }

    public static func < (lhs: EntryTime, rhs: EntryTime) -> Bool {
        (lhs.seconds, lhs.nanoseconds) < (rhs.seconds, rhs.nanoseconds)
    }

    /// The time as written in entries, with milliseconds: `2026-05-04T14:03:22.118Z`.
    public var text: String {
        RFC3339.milliseconds.string(seconds: seconds, nanoseconds: nanoseconds)
    }

    /// Appends ``text`` as bytes, without building strings.
    package func appendText(to out: inout [UInt8]) {
        RFC3339.milliseconds.append(seconds: seconds, nanoseconds: nanoseconds, to: &out)
    }

    /// The `Date`.
    public var date: Date {
        Date(timeIntervalSince1970: Double(seconds) + Double(nanoseconds) / 1e9)
    }

    /// Parses the strict form (``RFC3339``); `nil` for anything else (lowercase
    /// `t`/`z`, offsets, leap seconds, impossible dates, more than nine fraction digits).
    public init?(parsing text: some StringProtocol) {
        guard let (seconds, nanoseconds) = RFC3339.parse(text) else { return nil }
        self.init(seconds: seconds, nanoseconds: nanoseconds)
    }

    package static func parse(_ b: UnsafeRawBufferPointer) -> EntryTime? {
        RFC3339.parse(b).map { EntryTime(seconds: $0.seconds, nanoseconds: $0.nanoseconds) }
    }
}
