import Foundation
import HSMSyncModel
import HSMSyncTesting
import SignedLog
import Testing

@testable import HSMSyncCore

/// Reading large files: chunk boundaries, over-long lines, torn tails, and the parallel pipeline
/// agreeing with the sequential one on logs larger than its blocks.
@Suite("Line reader and pipeline")
struct LineReaderTests {
    @Test(
        "lines across 4 MiB chunks, of 0 to 5,000,000 bytes, and a torn tail: same bytes and leaf hashes as a plain split"
    )
    func chunks() throws {
        let temporary = try TemporaryDirectory(prefix: "linereader")
        var generator = AgreementFuzzTests.Generator(state: 42)
        var lines: [[UInt8]] = []
        var total = 0
        while total < 11 << 20 {
            // Once, a line longer than the whole read buffer.
            let length =
                lines.count == 40
                ? 5_000_000
                : [0, 1, 65_535, 65_536, 200_000, Int.random(in: 2...3000, using: &generator)].randomElement(
                    using: &generator)!
            let line = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ lines.count) | 0x20 }
            lines.append(line.map { $0 == 0x0A ? 0x20 : $0 })
            total += length + 1
        }
        let torn = Array("{\"torn\":".utf8)
        let path = temporary.path("lines")
        try Data(lines.flatMap { $0 + [0x0A] } + torn).write(to: URL(fileURLWithPath: path))

        var reader = try LineReader(path: path)
        var index = 0
        var sawTorn = false
        var overlong = 0
        while let line = try reader.next() {
            switch line {
            case .complete(let bytes):
                // A long line already in the buffer comes whole (the grammar then rejects it).
                #expect(index < lines.count && Array(bytes) == lines[index], "line \(index)")
            case .overlong(let length, let leafHash):
                #expect(
                    Int(length) == lines[index].count && leafHash == TreeHasher.leafHash(lines[index]), "line \(index)")
                #expect(length > Int64(StrictJSONParser.maximumLineLength))
                overlong += 1
            case .unterminated(let length, let leafHash):
                #expect(index == lines.count && Int(length) == torn.count && leafHash == TreeHasher.leafHash(torn))
                sawTorn = true
            }
            index += 1
        }
        #expect(sawTorn && index == lines.count + 1)
        #expect(overlong > 0, "lines longer than the buffer's free space stream past without being kept")
    }

    @Test("the parallel pipeline and one thread agree on a log of several blocks, clean and damaged")
    func pipeline() async throws {
        let fixture = try await LogFixture.make(checkpoints: [1, 5000, 12_000, 20_000], tail: 7)
        func verify(threads: Int) throws -> VerificationReport {
            try LogVerifier(directory: fixture.log, options: VerificationOptions(threads: threads)).verify()
        }
        let clean = try verify(threads: 1)
        #expect(clean.isValid && clean.entries == 20_007 && clean.signedPrefix == 20_000)
        for threads in [2, 3, 4] {
            let report = try verify(threads: threads)
            #expect(report.isValid && report.entries == clean.entries && report.findings == clean.findings)
        }
        var lines = try fixture.lines()
        lines[9_000] = AdversarialTests.edit(lines[9_000], "\"k9000\"", "\"k9001\"")
        lines.remove(at: 15_000)
        try fixture.setLines(lines, trailer: Array("{\"half".utf8))
        let damaged = try verify(threads: 1)
        #expect(damaged.primary?.class == .chainBreak && damaged.firstBadIndex == 9_000)
        #expect(damaged.findings.contains { $0.class == .seqGap && $0.index == 15_000 })
        #expect(damaged.findings.contains { $0.class == .tornTail && $0.index == 20_006 })
        for threads in [2, 3] {
            #expect(try verify(threads: threads).findings == damaged.findings)
        }
        // A 5 MB line (streamed, never kept) in the middle and a 5 MB torn tail at the end.
        lines.insert([UInt8](repeating: UInt8(ascii: "x"), count: 5_000_000), at: 3_000)
        try fixture.setLines(lines, trailer: [UInt8](repeating: UInt8(ascii: "y"), count: 5_000_000))
        let huge = try verify(threads: 1)
        #expect(huge.firstBadIndex == 3_000 && huge.primary?.class == .parse, "\(huge.findings.prefix(3))")
        #expect(huge.findings.contains { $0.class == .tornTail && $0.index == 20_007 })
        for threads in [2, 3] {
            #expect(try verify(threads: threads).findings == huge.findings)
        }
        let python = try VerificationOutcome.python(
            directory: fixture.log, vkey: nil, policy: nil, anchors: [], strict: false, now: Date())
        #expect(python.class == "PARSE" && python.firstBadIndex == 3_000)
    }
}
