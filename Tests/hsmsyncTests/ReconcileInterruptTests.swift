import Foundation
import Glibc
import HSMSyncCore
import HSMSyncModel
import HSMSyncTesting
import PKCS11
import SignedLog
import Testing

/// SIGINT and SIGTERM during `reconcile --apply` (issue 13 item 3): the copy in flight finishes, no
/// other starts, what was done and what was left is printed (the JSON document with `--json`), exit
/// 3; the next run copies the rest and has nothing to recover. The progress line counts copies per
/// destination HSM.
@Suite("reconcile --apply interrupted by a signal")
struct ReconcileInterruptTests {
    static let keys = 12

    /// primary-1 with `keys` AES keys, member-1 and dr-1 with only the transport key: 24 copies to 2 HSMs.
    static func fleet(_ hint: String) async throws -> (fleet: TestFleet, member: TestToken, dr: TestToken) {
        let primary = try await SoftHSMFixture.shared.makeToken("\(hint)p")
        let member = try await SoftHSMFixture.shared.makeToken("\(hint)m")
        let dr = try await SoftHSMFixture.shared.makeToken("\(hint)d")
        do {
            let session = try await SoftHSMFixture.shared.module().loggedInSession(primary)
            try session.installTestTransportKey()
            for index in 0..<Self.keys {
                try session.importTestAESKey(
                    label: "k-\(index)", id: [0xB0, UInt8(index)], value: TestMaterial.aesKey(UInt8(index)),
                    wrapWithTrusted: false)
            }
        }
        for token in [member, dr] {
            try await SoftHSMFixture.shared.module().loggedInSession(token).installTestTransportKey()
        }
        let fleet = try TestFleet(
            members: [
                .init("primary-1", role: "primary", token: primary), .init("member-1", role: "member", token: member),
                .init("dr-1", role: "secondary", token: dr),
            ], extra: TestFleet.fileKeyLog)
        #expect(try fleet.initializeLog(origin: "test.example/\(hint)").status == 0)
        return (fleet, member, dr)
    }

    static func objects(_ token: TestToken) async throws -> Int {
        try await SoftHSMFixture.shared.module().loggedInSession(token).findObjects().count
    }

    /// Every `replicate.intent` has an outcome: commit, failed, abandon (not started) or recover.
    static func intentsWithoutOutcome(_ log: String) throws -> Int {
        var open: Set<String> = []
        for entry in try CeremonyLogReader.entries(logDirectory: log) {
            guard case .string(let op)? = entry.outputs["op"] else { continue }
            switch entry.action {
            case "replicate.intent": open.insert(op)
            case "replicate.commit", "replicate.failed", "replicate.abandon": open.remove(op)
            case "replicate.recover" where entry.outputs["outcome"] != nil: open.remove(op)
            default: break
            }
        }
        return open.count
    }

    @Test(
        "SIGTERM with --json, stdout to a file: the copy in flight ends, the JSON says what was done and left, exit 3")
    func sigtermJSON() async throws {
        let (fleet, member, dr) = try await Self.fleet("rit")
        let pause = fleet.directory.path("pause")
        let out = fleet.directory.path("out.json")
        let err = fleet.directory.path("err.txt")
        for path in [out, err] { _ = FileManager.default.createFile(atPath: path, contents: nil) }
        let process = Process()
        process.executableURL = CommandRunner.hsmsync
        process.arguments = ["reconcile", "--fleet", fleet.path, "--apply", "--json"]
        process.environment = ProcessInfo.processInfo.environment
            .merging(SoftHSMFixture.shared.environment) { _, new in new }
            .merging([
                "HSMSYNC_TEST_PAUSE_COPY": "5:\(pause)", "HSMSYNC_LOG_HEADS_DIR": CommandRunner.logHeadsDirectory,
            ]) { _, new in new }
        process.standardOutput = FileHandle(forWritingAtPath: out)
        process.standardError = FileHandle(forWritingAtPath: err)
        try process.run()
        let deadline = Date().addingTimeInterval(60)
        while !FileManager.default.fileExists(atPath: pause + ".paused") && process.isRunning && Date() < deadline {
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(FileManager.default.fileExists(atPath: pause + ".paused"), "the run never reached its fifth copy")
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        let stdout = try String(contentsOfFile: out, encoding: .utf8)
        let stderr = try String(contentsOfFile: err, encoding: .utf8)
        #expect(process.terminationReason == .exit && process.terminationStatus == 3, "\(stdout)\n\(stderr)")
        #expect(stderr.contains("SIGTERM: stopping after the copy in flight"), "\(stderr)")

        let report = try #require(
            try JSONSerialization.jsonObject(with: Data(stdout.utf8)) as? [String: Any], "stdout: \(stdout)")
        #expect(report["status"] as? String == "error")
        #expect(report["interrupted"] as? String == "SIGTERM")
        let copied = (report["copied"] as? [Any])?.count ?? -1
        let notDone = (report["notDone"] as? [Any])?.count ?? -1
        #expect((report["planned"] as? [Any])?.count == 2 * Self.keys)
        #expect(copied == 5, "the copies finished before the signal, none after: \(stdout)")
        #expect(copied + notDone == 2 * Self.keys, "\(stdout)")
        let onDestinations = try await Self.objects(member) + Self.objects(dr)
        #expect(onDestinations == 2 + copied, "exactly the copies reported are on the destinations")

        let log = fleet.directory.path("audit-log")
        #expect(try Self.intentsWithoutOutcome(log) == 0, "every announced copy has an outcome")
        let rerun = try fleet.hsmsync(["reconcile", "--fleet", fleet.path, "--apply", "--json"])
        #expect(rerun.status == 0, "\(rerun)")
        let second = try #require(try JSONSerialization.jsonObject(with: Data(rerun.stdout.utf8)) as? [String: Any])
        #expect((second["recovered"] as? [Any])?.isEmpty == true, "nothing was left pending: \(rerun.stdout)")
        #expect((second["copied"] as? [Any])?.count == notDone)
        #expect(try fleet.hsmsync(["log", "verify", log]).status == 0)
    }

    @Test(
        "Ctrl-C on a terminal: the progress line counts copies to 2 HSMs, the summary lists copied and not done, exit 3",
        .enabled(if: ProcessInfo.processInfo.environment["HSMSYNC_SKIP_PYTHON"] != "1"))
    func ctrlCOnATerminal() async throws {
        let (fleet, _, _) = try await Self.fleet("ric")
        let steps: [[String: Any]] = [["expect": "copies to 2 HSM(s)", "send": "\u{03}"]]
        let json = String(decoding: try JSONSerialization.data(withJSONObject: steps), as: UTF8.self)
        let result = try CommandRunner.run(
            URL(fileURLWithPath: "/usr/bin/env"),
            [
                "python3", CeremonyCommandTests.driver, json, "--", CommandRunner.hsmsync.path, "reconcile", "--fleet",
                fleet.path, "--apply",
            ],
            environment: SoftHSMFixture.shared.environment.merging([
                "HSMSYNC_TEST_PAUSE_COPY": "1:\(fleet.directory.path("pause"))"
            ]) { _, new in new })
        #expect(result.status == 3, "\(result)")
        #expect(result.stdout.contains("1/24 copies to 2 HSM(s)"), "per destination, not objects: \(result)")
        let copying = result.stdout.components(separatedBy: "copies to").dropFirst().joined()
        #expect(!copying.contains("objects on"), "while copying, copies are counted: \(result)")
        #expect(
            result.stdout.contains(
                "INTERRUPTED (SIGINT) fleet test-fleet: 1 of 24 copies copied and verified, 23 not done"),
            "\(result)")
        #expect(result.stdout.components(separatedBy: "  copied  ").count - 1 == 1, "\(result)")
        #expect(result.stdout.components(separatedBy: "  not done  ").count - 1 == 23, "\(result)")
        #expect(result.stdout.contains("status: error"), "\(result)")
    }
}
