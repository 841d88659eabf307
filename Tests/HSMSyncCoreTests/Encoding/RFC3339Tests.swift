import Foundation
import HSMSyncModel
import Testing

@Suite("RFC 3339 timestamps")
struct RFC3339Tests {
    /// 2026-05-04T14:03:22.125Z: a fraction that is exact in binary, since 1970 and since 2001.
    static let instant = Date(timeIntervalSince1970: 1_777_903_402.125)

    @Test(
        "each form's exact bytes",
        arguments: [
            (RFC3339.seconds, "2026-05-04T14:03:22Z"),
            (RFC3339.milliseconds, "2026-05-04T14:03:22.125Z"),
            (RFC3339.millisecondsWithoutColons, "2026-05-04T140322.125Z"),
            (RFC3339.basicSeconds, "20260504T140322"),
        ])
    func pinned(format: RFC3339, expected: String) {
        #expect(format.string(from: Self.instant) == expected)
    }

    @Test("fractions are truncated, never carried into the next second")
    func truncated() {
        let late = Date(timeIntervalSince1970: 1_777_903_402.9999)
        #expect(RFC3339.milliseconds.string(from: late) == "2026-05-04T14:03:22.999Z")
        #expect(RFC3339.seconds.string(from: late) == "2026-05-04T14:03:22Z")
        #expect(RFC3339.basicSeconds.string(from: late) == "20260504T140322")
        let beforeEpoch = Date(timeIntervalSince1970: -0.25)
        #expect(RFC3339.milliseconds.string(from: beforeEpoch) == "1969-12-31T23:59:59.750Z")
        let leapDay = Date(timeIntervalSince1970: 951_782_400)
        #expect(RFC3339.seconds.string(from: leapDay) == "2000-02-29T00:00:00Z")
    }

    @Test("a log entry's time reads as it is written")
    func entryTime() throws {
        let time = EntryTime(Self.instant)
        #expect(time.text == "2026-05-04T14:03:22.125Z")
        #expect(EntryTime(parsing: time.text) == time)
        let parsed = try #require(RFC3339.parse("2026-05-04T14:03:22Z"))
        #expect(parsed.seconds == 1_777_903_402 && parsed.nanoseconds == 0)
        #expect(RFC3339.parse("2026-05-04T14:03:22+00:00") == nil)
    }
}
