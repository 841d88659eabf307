public import Foundation

/// A cron expression (five fields: minute, hour, day of month, month, day of week), always read in
/// UTC: `0 2 * * *` is 02:00 UTC every day. Fields take `*`, numbers, ranges `a-b`, lists `a,b`
/// and steps `*/n`, `a-b/n`; day of week is 0–7 with 0 and 7 both Sunday. When both day fields
/// are restricted, either matching is enough (as every cron does).
public struct CronSchedule: Sendable, Hashable, CustomStringConvertible {
    public let description: String
    let minutes: Set<Int>
    let hours: Set<Int>
    let daysOfMonth: Set<Int>
    let months: Set<Int>
    let daysOfWeek: Set<Int>
    let dayOfMonthRestricted: Bool
    let dayOfWeekRestricted: Bool

    /// Parses `expression`.
    ///
    /// - Throws: ``CronError`` naming the field and what is wrong with it.
    public init(_ expression: String) throws(CronError) {
        let fields = expression.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        guard fields.count == 5 else { throw .fieldCount(fields.count) }
        description = fields.joined(separator: " ")
        minutes = try Self.parse(fields[0], name: "minute", range: 0...59)
        hours = try Self.parse(fields[1], name: "hour", range: 0...23)
        daysOfMonth = try Self.parse(fields[2], name: "day of month", range: 1...31)
        months = try Self.parse(fields[3], name: "month", range: 1...12)
        daysOfWeek = Set(try Self.parse(fields[4], name: "day of week", range: 0...7).map { $0 % 7 })
        dayOfMonthRestricted = fields[2] != "*"
        dayOfWeekRestricted = fields[4] != "*"
    }

    private static func parse(_ field: String, name: String, range: ClosedRange<Int>) throws(CronError) -> Set<Int> {
        var values: Set<Int> = []
        for part in field.split(separator: ",", omittingEmptySubsequences: false) {
            let pieces = part.split(separator: "/", omittingEmptySubsequences: false)
            guard pieces.count <= 2 else { throw .invalid(field: name, value: field) }
            var step = 1
            if pieces.count == 2 {
                guard let parsed = Int(pieces[1]), parsed > 0 else { throw .invalid(field: name, value: field) }
                step = parsed
            }
            let span: ClosedRange<Int>
            if pieces[0] == "*" {
                span = range
            } else if let dash = pieces[0].firstIndex(of: "-") {
                guard let low = Int(pieces[0][..<dash]), let high = Int(pieces[0][pieces[0].index(after: dash)...]),
                    low <= high
                else { throw .invalid(field: name, value: field) }
                span = low...high
            } else {
                guard let value = Int(pieces[0]) else { throw .invalid(field: name, value: field) }
                span = value...(pieces.count == 2 ? range.upperBound : value)
            }
            guard range.contains(span.lowerBound), range.contains(span.upperBound) else {
                throw .outOfRange(field: name, value: field, range: range)
            }
            values.formUnion(stride(from: span.lowerBound, through: span.upperBound, by: step))
        }
        return values
    }

    private static let calendar: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar
    }()

    /// The first time after `date` (strictly) that the schedule fires, to the minute; `nil` when it
    /// never does within eight years (`0 0 30 2 *`).
    public func next(after date: Date) -> Date? {
        let calendar = Self.calendar
        var time = calendar.dateInterval(of: .minute, for: date)!.end
        let limit = date.addingTimeInterval(8 * 366 * 86_400)
        while time < limit {
            let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .weekday], from: time)
            if !months.contains(parts.month!) {
                time = calendar.date(
                    byAdding: .month, value: 1, to: calendar.dateInterval(of: .month, for: time)!.start)!
            } else if !dayMatches(day: parts.day!, weekday: parts.weekday! - 1) {
                time = calendar.date(byAdding: .day, value: 1, to: calendar.startOfDay(for: time))!
            } else if !hours.contains(parts.hour!) {
                time = calendar.date(byAdding: .hour, value: 1, to: calendar.dateInterval(of: .hour, for: time)!.start)!
            } else if !minutes.contains(parts.minute!) {
                time = time.addingTimeInterval(60)
            } else {
                return time
            }
        }
        return nil
    }

    /// The last time at or before `date` that the schedule fired, searching back `horizon` seconds.
    public func previous(atOrBefore date: Date, horizon: TimeInterval = 8 * 86_400) -> Date? {
        var candidate = next(after: date.addingTimeInterval(-horizon))
        var last: Date?
        while let time = candidate, time <= date {
            last = time
            candidate = next(after: time)
        }
        return last
    }

    private func dayMatches(day: Int, weekday: Int) -> Bool {
        switch (dayOfMonthRestricted, dayOfWeekRestricted) {
        case (true, true): return daysOfMonth.contains(day) || daysOfWeek.contains(weekday)
        case (true, false): return daysOfMonth.contains(day)
        case (false, true): return daysOfWeek.contains(weekday)
        case (false, false): return true
        }
    }
}

/// A cron expression that cannot be read.
public enum CronError: Error, Hashable, CustomStringConvertible {
    case fieldCount(Int)
    case invalid(field: String, value: String)
    case outOfRange(field: String, value: String, range: ClosedRange<Int>)

    public var description: String {
        switch self {
        case .fieldCount(let count):
            return "a cron expression has 5 fields (minute hour day-of-month month day-of-week), not \(count)"
        case .invalid(let field, let value):
            return "the \(field) field \"\(value)\" is not a number, a range a-b, a list a,b or a step */n"
        case .outOfRange(let field, let value, let range):
            return "the \(field) field \"\(value)\" is outside \(range.lowerBound)–\(range.upperBound)"
        }
    }
}
