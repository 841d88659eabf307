import Foundation
import HSMSyncTesting
import PKCS11
import Testing

/// One JSON style (issue 13 item 9, docs/json-output.md): every `--json` document indented, every
/// key camelCase — but a signed log entry's own fields, which keep the log's format.
@Suite("--json: one style")
struct JSONStyleTests {
    /// The keys of `value` (recursively) that are not camelCase; `entry` objects of `log show` are
    /// the log's own format and are skipped.
    static func nonCamelCaseKeys(_ value: Any, path: String = "") -> [String] {
        if let object = value as? [String: Any] {
            return object.flatMap { key, member -> [String] in
                let here = path + "." + key
                let own = key.range(of: "^[a-z][A-Za-z0-9]*$", options: .regularExpression) == nil ? [here] : []
                return own + (key == "entry" ? [] : nonCamelCaseKeys(member, path: here))
            }
        }
        if let array = value as? [Any] { return array.flatMap { nonCamelCaseKeys($0, path: path + "[]") } }
        return []
    }

    /// Checks that `result` printed one indented JSON document with camelCase keys; returns it.
    @discardableResult
    static func expectStyle(_ result: ProcessResult, _ command: String) throws -> [String: Any] {
        let document = try #require(
            try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], "\(command): \(result)")
        #expect(result.stdout.split(separator: "\n").count > 2, "\(command): not indented: \(result.stdout)")
        #expect(nonCamelCaseKeys(document).isEmpty, "\(command): \(nonCamelCaseKeys(document))")
        return document
    }

    @Test("log verify, show and note --json: indented, camelCase (the entries keep the log's own fields)")
    func logCommands() throws {
        let directory = try LogCommandTests.makeLog()
        let verify = try LogCommandTests.run(["verify", "log", "--json"], in: directory)
        #expect(try Self.expectStyle(verify, "log verify")["signedPrefix"] as? Int == 2)
        let show = try LogCommandTests.run(["show", "log", "--json"], in: directory)
        let listing = try Self.expectStyle(show, "log show")
        #expect((listing["entries"] as? [[String: Any]])?.first?["entry"] as? [String: Any] != nil, "\(listing)")
        let note = try LogCommandTests.run(
            ["note", "log", "--key", "log.key", "--text", "seals checked", "--json"], in: directory)
        #expect(try Self.expectStyle(note, "log note")["entry"] as? Int == 2)
    }

    @Test("ceremony validate/plan, transport create/install, backup create/drill --json: indented, camelCase")
    func fleetCommands() async throws {
        let (fleet, primary, _) = try await CeremonyCommandTests.makeFleetAndTokens("js")
        let script = fleet.directory.path("t.yaml")
        try CeremonyCommandTests.validScript.write(toFile: script, atomically: true, encoding: .utf8)
        let validated = try fleet.hsmsync(["ceremony", "validate", script, "--json"])
        #expect(try Self.expectStyle(validated, "ceremony validate")["valid"] as? Bool == true)
        let plan = try fleet.hsmsync(["ceremony", "plan", script, "--json"])
        #expect(try Self.expectStyle(plan, "ceremony plan")["problems"] as? [Any] != nil, "\(plan)")

        let shares = fleet.directory.path("shares")
        try FileManager.default.createDirectory(
            atPath: shares, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let created = try fleet.hsmsync([
            "transport", "create", "--fleet", fleet.path, "--hsm", "primary-1", "--shares", "3", "--threshold", "2",
            "--out-dir", shares, "--json",
        ])
        #expect(try Self.expectStyle(created, "transport create")["files"] as? [String] != nil, "\(created)")
        let files = (1...2).map { "\(shares)/transport-share-\($0)-of-3.txt" }
        let installed = try fleet.hsmsync(
            ["transport", "install", "--fleet", fleet.path, "--hsm", "dr-1", "--json"]
                + files.flatMap { ["--share", $0] })
        #expect(try Self.expectStyle(installed, "transport install")["label"] as? String == "hsmsync-transport")

        try await CeremonyCommandTests.plantCAKeys(primary)
        let bundle = fleet.directory.path("primary.hsmbackup")
        let backup = try fleet.hsmsync([
            "backup", "create", "--fleet", fleet.path, "--hsm", "primary-1", "--out", bundle, "--json",
        ])
        #expect(try Self.expectStyle(backup, "backup create")["keys"] as? Int == 2, "\(backup)")
        let drill = try fleet.hsmsync(
            ["backup", "drill", bundle, "--fleet", fleet.path, "--json"] + files.flatMap { ["--share", $0] })
        #expect(drill.status == 0, "\(drill)")
        #expect(try Self.expectStyle(drill, "backup drill")["restorable"] as? Bool == true)
    }
}
