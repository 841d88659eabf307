import Foundation
import Glibc
import HSMSyncModel
import HSMSyncTesting
import SignedLog
import Synchronization
import Testing

@testable import HSMSyncCore

/// T22: a child process appends in a loop (bulk checkpoints every 25 entries) and is killed with
/// SIGKILL at random moments, and at each failpoint of the write protocol. After every kill,
/// recovery and verify must succeed and every acknowledged entry must be there, byte for byte.
@Suite("Crash safety")
struct LogCrashTests {
    static let randomKills = 100
    static let origin = "crash.example/hsmsync/0123456789abcdef0123456789abcdef"

    /// Collects the child's stdout as it arrives.
    final class Output: Sendable {
        let data = Mutex(Data())
        var text: String { data.withLock { String(decoding: $0, as: UTF8.self) } }
    }

    /// Starts the stress child; returns it with its output collector.
    static func start(_ arguments: [String]) throws -> (Process, Output) {
        let process = Process()
        process.executableURL = CommandRunner.productsDirectory.appendingPathComponent("hsmsync-logstress")
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        let output = Output()
        pipe.fileHandleForReading.readabilityHandler = { handle in
            let chunk = handle.availableData
            output.data.withLock { $0.append(chunk) }
        }
        try process.run()
        return (process, output)
    }

    /// The acknowledged entries: seq → leaf hash, from complete "ack" lines only.
    static func acknowledged(_ text: String) -> [UInt64: String] {
        var acks: [UInt64: String] = [:]
        for line in text.split(separator: "\n", omittingEmptySubsequences: false).dropLast() {
            let parts = line.split(separator: " ")
            if parts.count == 3, parts[0] == "ack", let seq = UInt64(parts[1]) { acks[seq] = String(parts[2]) }
        }
        return acks
    }

    /// Recovers (as a writer opening the log would), verifies, and checks the acknowledged entries.
    static func recoverAndCheck(_ directory: String, keyPath: String, acks: [UInt64: String], round: String)
        async throws
    {
        let writer = try await AuditLog.open(
            directory: directory, signer: try FileKeySigner(path: keyPath), actor: AuditActor(id: "test"))
        try await writer.close()
        let report = try LogVerifier(directory: LogDirectory(path: directory), options: VerificationOptions(threads: 1))
            .verify()
        #expect(report.isValid && report.unsignedTail == 0, "\(round): \(report.findings)")
        let lines = try PosixFile.readAll(directory + "/entries.jsonl", limit: 1 << 30).split(separator: 0x0A).map(
            Array.init)
        for (seq, leaf) in acks {
            #expect(
                seq < UInt64(lines.count) && TreeHasher.leafHash(lines[Int(seq)]).hex == leaf,
                "\(round): acknowledged entry \(seq) lost")
        }
    }

    @Test("≥ 100 random SIGKILLs and every failpoint: recovery and verify succeed, no acknowledged entry is lost")
    func crashes() async throws {
        let temporary = try TemporaryDirectory(prefix: "log-crash")
        let keyPath = temporary.path("log.key")
        try NotePrivateKey.generate(name: Self.origin).write(to: keyPath)
        let directory = temporary.path("log")
        var acks: [UInt64: String] = [:]
        var killedWithAcks = 0
        var appendingKills = 0
        for round in 0..<Self.randomKills {
            let (process, output) = try Self.start(["append", directory, keyPath])
            // Four kills in five land while appending (after the child opened the log), the fifth at a
            // random moment of start-up, opening and recovery.
            let whileAppending = round % 5 != 4
            if whileAppending {
                let deadline = ContinuousClock.now + .seconds(60)
                while !output.text.contains("ready") && process.isRunning && ContinuousClock.now < deadline {
                    try await Task.sleep(for: .milliseconds(5))
                }
                appendingKills += 1
            }
            try await Task.sleep(for: .milliseconds(Int.random(in: whileAppending ? 5...150 : 0...100)))
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            #expect(process.terminationReason == .uncaughtSignal, "round \(round): \(output.text)")
            let roundAcks = Self.acknowledged(output.text)
            if !roundAcks.isEmpty { killedWithAcks += 1 }
            acks.merge(roundAcks) { $1 }
            guard FileManager.default.fileExists(atPath: directory + "/log.vkey") else { continue }
            try await Self.recoverAndCheck(directory, keyPath: keyPath, acks: acks, round: "kill \(round)")
        }
        #expect(killedWithAcks > appendingKills / 2, "most kills must land while appending (\(killedWithAcks))")

        for point in [
            "afterPartialWrite", "beforeDataSync", "beforeNoteRename", "beforeNoteDirectorySync", "beforeLatestCopy",
            "beforeAnchorUpdate",
        ] {
            for after in [0, 3] {
                let (process, output) = try Self.start([
                    "append", directory, keyPath, "--fault", point, "--after", String(after),
                ])
                process.waitUntilExit()
                #expect(process.terminationReason == .uncaughtSignal, "\(point): the failpoint did not fire")
                acks.merge(Self.acknowledged(output.text)) { $1 }
                try await Self.recoverAndCheck(
                    directory, keyPath: keyPath, acks: acks, round: "\(point) after \(after)")
            }
        }
        let recovered = try FileManager.default.contentsOfDirectory(atPath: directory + "/recovery")
        #expect(!recovered.isEmpty, "torn tails were cut and saved")
    }
}
