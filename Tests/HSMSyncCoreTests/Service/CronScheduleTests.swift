import Foundation
import HSMSyncModel
import Testing

/// Cron expressions in UTC: parsing, refusals, and the next and previous fire times.
@Suite("Cron schedules")
struct CronScheduleTests {
    static func date(_ text: String) -> Date { try! Date(text, strategy: .iso8601) }

    @Test(
        "next fire time",
        arguments: [
            ("0 2 * * *", "2026-12-07T01:59:30Z", "2026-12-07T02:00:00Z"),
            ("0 2 * * *", "2026-12-07T02:00:00Z", "2026-12-08T02:00:00Z"),
            ("*/15 * * * *", "2026-12-07T10:07:00Z", "2026-12-07T10:15:00Z"),
            ("30 3 * * 0", "2026-12-07T00:00:00Z", "2026-12-13T03:30:00Z"),  // 13 Dec 2026 is a Sunday
            ("30 3 * * 7", "2026-12-07T00:00:00Z", "2026-12-13T03:30:00Z"),
            ("0 0 1 1 *", "2026-12-07T00:00:00Z", "2027-01-01T00:00:00Z"),
            ("0 0 29 2 *", "2026-12-07T00:00:00Z", "2028-02-29T00:00:00Z"),
            ("0 12 1-7 * 1", "2026-12-07T13:00:00Z", "2026-12-14T12:00:00Z"),  // either day field matches
            ("5,10 8-9/1 * * *", "2026-12-07T08:06:00Z", "2026-12-07T08:10:00Z"),
        ])
    func next(expression: String, after: String, expected: String) throws {
        let schedule = try CronSchedule(expression)
        #expect(schedule.next(after: Self.date(after)) == Self.date(expected))
    }

    @Test("never-firing schedules say so")
    func never() throws {
        #expect(try CronSchedule("0 0 30 2 *").next(after: Self.date("2026-12-07T00:00:00Z")) == nil)
    }

    @Test("the last fire at or before a time: what a service that was down missed")
    func previous() throws {
        let schedule = try CronSchedule("0 2 * * *")
        #expect(schedule.previous(atOrBefore: Self.date("2026-12-07T09:00:00Z")) == Self.date("2026-12-07T02:00:00Z"))
        #expect(schedule.previous(atOrBefore: Self.date("2026-12-07T02:00:00Z")) == Self.date("2026-12-07T02:00:00Z"))
        #expect(schedule.previous(atOrBefore: Self.date("2026-12-07T01:59:00Z")) == Self.date("2026-12-06T02:00:00Z"))
    }

    @Test(
        "refused with the field named",
        arguments: [
            ("0 2 * *", "5 fields"), ("60 * * * *", "minute field \"60\" is outside 0–59"),
            ("* 24 * * *", "hour field"), ("* * 0 * *", "day of month field"), ("* * * 13 *", "month field"),
            ("* * * * 8", "day of week field"), ("*/0 * * * *", "minute field \"*/0\" is not"),
            ("a * * * *", "minute field \"a\" is not"), ("5-1 * * * *", "minute field \"5-1\" is not"),
        ])
    func refused(expression: String, message: String) {
        #expect {
            _ = try CronSchedule(expression)
        } throws: { error in
            "\(error)".contains(message)
        }
    }
}
