import Foundation
import HSMSyncTesting
import Testing

/// Transport commands write the fleet's signed log: what was done, to which token, with which
/// check values — and never a share word or key byte.
@Suite("hsmsync transport records to the signed log")
struct TransportLogTests {
    @Test("create, a refused install, an install, verify: entries in order, the log verifies, no share word in it")
    func recorded() async throws {
        let primary = try await SoftHSMFixture.shared.makeToken("tlog-p")
        let secondary = try await SoftHSMFixture.shared.makeToken("tlog-d")
        let fleet = try TestFleet(
            members: [
                .init("primary-1", role: "primary", token: primary), .init("dr-1", role: "secondary", token: secondary),
            ],
            extra: TestFleet.fileKeyLog)
        let logDirectory = fleet.directory.path("audit-log")
        let made = try fleet.hsmsync([
            "log", "init", logDirectory, "--origin", "example.org/tlog", "--key", fleet.directory.path("log.key"),
        ])
        #expect(made.status == 0, "\(made)")

        let shares = try TemporaryDirectory(prefix: "shares")
        let created = try fleet.hsmsync([
            "transport", "create", "--fleet", fleet.path, "--hsm", "primary-1", "--shares", "3", "--threshold", "2",
            "--out-dir", shares.url.path,
        ])
        #expect(created.status == 0, "\(created)")
        let files = (1...3).map { shares.path("transport-share-\($0)-of-3.txt") }
        let twice = try fleet.hsmsync([
            "transport", "install", "--fleet", fleet.path, "--hsm", "dr-1", "--share", files[0], "--share", files[0],
        ])
        #expect(twice.status == 2, "\(twice)")
        let installed = try fleet.hsmsync([
            "transport", "install", "--fleet", fleet.path, "--hsm", "dr-1", "--share", files[0], "--share", files[2],
        ])
        #expect(installed.status == 0, "\(installed)")
        let verified = try fleet.hsmsync(["transport", "verify", "--fleet", fleet.path])
        #expect(verified.status == 0, "\(verified)")

        let verify = try fleet.hsmsync(["log", "verify", logDirectory, "--strict"])
        #expect(verify.status == 0, "\(verify)")
        let lines = try String(contentsOfFile: logDirectory + "/entries.jsonl", encoding: .utf8)
            .split(separator: "\n").map(String.init)
        let entries = try lines.map {
            try #require(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
        let actions = entries.compactMap { entry in
            (entry["action"] as? String).map { "\($0) \(entry["result"] as? String ?? "?")" }
        }.filter { $0.hasPrefix("transport.") }
        #expect(
            actions == [
                "transport.generate ok", "transport.shares.delivered ok", "transport.install ok",
                "transport.install refused", "transport.install ok", "transport.verify ok",
            ])
        let installs = entries.filter {
            $0["action"] as? String == "transport.install" && $0["result"] as? String == "ok"
        }
        let checkValues = installs.compactMap { ($0["outputs"] as? [String: Any])?["checkValue"] as? String }
        #expect(checkValues.count == 2 && checkValues[0] == checkValues[1])

        // No share line in the log.
        let log = lines.joined(separator: "\n")
        for file in files {
            let words = try String(contentsOfFile: file, encoding: .utf8).split(separator: "\n")
                .filter { !$0.hasPrefix("#") && !$0.isEmpty }
            for line in words { #expect(!log.contains(line), "a share line is in the log") }
        }
    }
}
