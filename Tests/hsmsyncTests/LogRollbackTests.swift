import Foundation
import HSMSyncTesting
import Testing

/// Issue 17, items 5 and 6c: a log directory rolled back to an older copy is never signed on from,
/// and a stray file among the checkpoint notes is reported, not silently skipped.
@Suite("Signed log: rollback and stray checkpoint files")
struct LogRollbackTests {
    static let origin = "rollback.example/hsmsync/0123456789abcdef"

    static func log(_ arguments: [String], in directory: TemporaryDirectory) throws -> ProcessResult {
        try CommandRunner.hsmsync(["log"] + arguments, directory: directory.url)
    }

    static func note(_ text: String, in directory: TemporaryDirectory) throws -> ProcessResult {
        try log(["note", "log", "--key", "log.key", "--text", text], in: directory)
    }

    @Test(
        "A log directory swapped back to an older copy: log note refuses to sign (exit 1), names the head mark, writes nothing"
    )
    func rolledBackLogRefused() throws {
        let directory = try TemporaryDirectory(prefix: "log-rollback")
        let created = try Self.log(
            ["init", "log", "--origin", Self.origin + UUID().uuidString.prefix(8), "--key", "log.key"], in: directory)
        #expect(created.status == 0, "\(created)")
        #expect(try Self.note("first", in: directory).status == 0)
        let manager = FileManager.default
        try manager.copyItem(atPath: directory.path("log"), toPath: directory.path("log-older"))
        let second = try Self.note("second", in: directory)
        #expect(second.status == 0, "\(second)")

        try manager.removeItem(atPath: directory.path("log"))
        try manager.moveItem(atPath: directory.path("log-older"), toPath: directory.path("log"))
        let entriesBefore = try Data(contentsOf: URL(fileURLWithPath: directory.path("log/entries.jsonl")))
        let checkpointsBefore = try manager.contentsOfDirectory(atPath: directory.path("log/checkpoints")).sorted()
        let verified = try Self.log(["verify", "log"], in: directory)
        #expect(verified.status == 0, "on its own, the older copy is a valid log: \(verified)")

        let refused = try Self.note("after the rollback", in: directory)
        #expect(refused.status == 1, "\(refused)")
        #expect(refused.stderr.contains("refusing to sign") && refused.stderr.contains("rolled back"), "\(refused)")
        #expect(refused.stderr.contains(CommandRunner.logHeadsDirectory), "the head mark is named: \(refused)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: directory.path("log/entries.jsonl"))) == entriesBefore)
        #expect(
            try manager.contentsOfDirectory(atPath: directory.path("log/checkpoints")).sorted() == checkpointsBefore)
    }

    @Test("A fork: another history under the same key at the mark's size is refused as a fork, nothing signed")
    func forkedLogRefused() throws {
        let directory = try TemporaryDirectory(prefix: "log-fork")
        #expect(
            try Self.log(
                ["init", "log", "--origin", Self.origin + UUID().uuidString.prefix(8), "--key", "log.key"],
                in: directory
            ).status == 0)
        let manager = FileManager.default
        try manager.copyItem(atPath: directory.path("log"), toPath: directory.path("log-older"))
        #expect(try Self.note("the real second entry", in: directory).status == 0)
        // The older copy, given another second entry by a writer that kept no mark (another host).
        try manager.removeItem(atPath: directory.path("log"))
        try manager.moveItem(atPath: directory.path("log-older"), toPath: directory.path("log"))
        let elsewhere = try TemporaryDirectory(prefix: "other-host-marks")
        let forked = try CommandRunner.hsmsync(
            ["log", "note", "log", "--key", "log.key", "--text", "a different second entry"],
            environment: ["HSMSYNC_LOG_HEADS_DIR": elsewhere.url.path], directory: directory.url)
        #expect(forked.status == 0, "\(forked)")

        let refused = try Self.note("third", in: directory)
        #expect(refused.status == 1, "\(refused)")
        #expect(refused.stderr.contains("fork"), "\(refused)")
    }

    @Test("A stray file in checkpoints/ whose name is not a checkpoint note name is reported by log verify (exit 1)")
    func strayCheckpointFile() throws {
        let directory = try TemporaryDirectory(prefix: "log-stray")
        #expect(
            try Self.log(
                ["init", "log", "--origin", Self.origin + UUID().uuidString.prefix(8), "--key", "log.key"],
                in: directory
            ).status == 0)
        #expect(try Self.note("one", in: directory).status == 0)
        let checkpoints = directory.path("log/checkpoints")
        try FileManager.default.copyItem(
            atPath: checkpoints + "/00000000000000000002.note", toPath: checkpoints + "/3.note")
        let result = try Self.log(["verify", "log"], in: directory)
        #expect(result.status == 1, "\(result)")
        #expect((result.stdout + result.stderr).contains("checkpoints/3.note: a stray file"), "\(result)")
    }
}
