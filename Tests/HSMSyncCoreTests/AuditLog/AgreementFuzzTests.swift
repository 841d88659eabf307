import Foundation
import HSMSyncModel
import HSMSyncTesting
import SignedLog
import Testing

@testable import HSMSyncCore

/// G8: random mutations of a cosigned log (byte flips, line operations, note edits), each
/// verified by both verifiers, which must agree on verdict, class, first bad index and every
/// finding; and clean logs of random shapes, which must verify without a false positive.
@Suite("Swift and Python agreement")
struct AgreementFuzzTests {
    /// SplitMix64: reproducible mutations.
    struct Generator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static let mutationCount = 120

    @Test("fuzzed mutations: both verifiers agree on every one")
    func mutations() async throws {
        let base = try await LogFixture.make()
        let w1 = try base.makeWitness("W1"), w2 = try base.makeWitness("W2")
        let policy = try base.writePolicy(
            witnesses: [("W1", w1.vkey), ("W2", w2.vkey)], groups: ["group g any W1 W2"], quorum: "g")
        try base.cosign(size: 20, keyPath: w1.path, timestamp: 1_777_900_000)
        try base.cosign(size: 30, keyPath: w1.path, timestamp: 1_777_900_100)
        try base.cosign(size: 30, keyPath: w2.path, timestamp: 1_777_900_200)
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        #expect(try base.verifyBoth(policy: policy, now: now).verdict == "valid")

        var generator = Generator(state: 0x5EED_2026)
        var kinds: [String: Int] = [:]
        var invalid = 0
        for round in 0..<Self.mutationCount {
            let copy = try LogFixtureCopy(of: base)
            let kind = try copy.mutate(using: &generator)
            kinds[kind, default: 0] += 1
            let outcome = try copy.fixture.verifyBoth(policy: policy, now: now)
            if outcome.verdict != "valid" { invalid += 1 }
            _ = round
        }
        #expect(kinds.count >= 8, "mutation kinds used: \(kinds)")
        #expect(invalid > Self.mutationCount / 2, "most mutations must be detected (\(invalid))")
    }

    @Test("clean logs of random shapes: no false positive")
    func cleanLogs() async throws {
        var generator = Generator(state: 0xC1EA_2026)
        for _ in 0..<12 {
            var checkpoints = [1]
            var size = 1
            for _ in 0..<Int.random(in: 0...5, using: &generator) {
                size += Int.random(in: 1...17, using: &generator)
                checkpoints.append(size)
            }
            let fixture = try await LogFixture.make(
                checkpoints: checkpoints, tail: Int.random(in: 0...3, using: &generator))
            let outcome = try fixture.verifyBoth()
            #expect(outcome.verdict == "valid" && !outcome.findings.contains { $0.contains(" error ") }, "\(outcome)")
        }
    }
}

/// A copy of a fixture's directory, to be damaged.
struct LogFixtureCopy {
    let fixture: LogFixture

    init(of base: LogFixture) throws {
        fixture = try base.copy()
    }

    /// Applies one random mutation; returns its kind.
    func mutate(using generator: inout AgreementFuzzTests.Generator) throws -> String {
        var lines = try fixture.lines()
        let kinds = [
            "flip-entry-byte", "delete-line", "duplicate-line", "swap-lines", "truncate-bytes", "insert-garbage",
            "flip-note-byte", "delete-note", "older-latest", "drop-cosignature", "append-empty-line", "move-line",
        ]
        let kind = kinds.randomElement(using: &generator)!
        let index = Int.random(in: 0..<lines.count, using: &generator)
        switch kind {
        case "flip-entry-byte":
            var bytes = try fixture.entriesBytes()
            let position = Int.random(in: 0..<bytes.count, using: &generator)
            bytes[position] ^= UInt8(1 << Int.random(in: 0..<8, using: &generator))
            try fixture.write(fixture.log.entries, bytes)
        case "delete-line":
            lines.remove(at: index)
            try fixture.setLines(lines)
        case "duplicate-line":
            lines.insert(lines[index], at: Int.random(in: 0...lines.count, using: &generator))
            try fixture.setLines(lines)
        case "swap-lines":
            lines.swapAt(index, Int.random(in: 0..<lines.count, using: &generator))
            try fixture.setLines(lines)
        case "truncate-bytes":
            let bytes = try fixture.entriesBytes()
            try fixture.write(
                fixture.log.entries, Array(bytes.prefix(Int.random(in: 0..<bytes.count, using: &generator))))
        case "insert-garbage":
            var bytes = try fixture.entriesBytes()
            let garbage = (0..<Int.random(in: 1...40, using: &generator)).map { _ in
                UInt8.random(in: 0...255, using: &generator)
            }
            bytes.insert(contentsOf: garbage, at: Int.random(in: 0...bytes.count, using: &generator))
            try fixture.write(fixture.log.entries, bytes)
        case "flip-note-byte":
            let size = [1, 10, 20, 30].randomElement(using: &generator)!
            var note = try fixture.note(size: size)
            note[Int.random(in: 0..<note.count, using: &generator)] ^= UInt8(
                1 << Int.random(in: 0..<8, using: &generator))
            try fixture.setNote(size: size, note)
        case "delete-note":
            let size = [1, 10, 20, 30].randomElement(using: &generator)!
            try FileManager.default.removeItem(atPath: fixture.log.checkpointNote(size: UInt64(size)))
        case "older-latest":
            try fixture.setLatest(try fixture.note(size: [1, 10, 20].randomElement(using: &generator)!))
        case "drop-cosignature":
            for path in [fixture.log.latestCheckpoint, fixture.log.checkpointNote(size: 30)] {
                var note = try SignedNote(parsing: PosixFile.readAll(path))
                if note.signatures.count > 1 {
                    note.signatures.remove(at: Int.random(in: 1..<note.signatures.count, using: &generator))
                }
                try fixture.write(path, Array(note.serialized.utf8))
            }
        case "append-empty-line":
            lines.insert([], at: index)
            try fixture.setLines(lines)
        default:  // move-line
            let line = lines.remove(at: index)
            lines.insert(line, at: Int.random(in: 0...lines.count, using: &generator))
            try fixture.setLines(lines)
        }
        return kind
    }
}

extension LogFixture {
    /// A copy of this fixture's files in a new temporary directory (the key is shared).
    func copy() throws -> LogFixture {
        let copy = try LogFixture(copyOf: self)
        try FileManager.default.copyItem(atPath: path, toPath: copy.path)
        return copy
    }
}
