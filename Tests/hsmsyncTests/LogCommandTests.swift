import Foundation
import HSMSyncTesting
import Testing

/// `hsmsync log …` end to end, as an operator's script sees it: exit codes, stdout, stderr.
@Suite("hsmsync log commands")
struct LogCommandTests {
    static let origin = "cli.example/hsmsync/0123456789abcdef0123456789abcdef"

    static func run(_ arguments: [String], in directory: TemporaryDirectory) throws -> ProcessResult {
        try CommandRunner.hsmsync(["log"] + arguments, directory: directory.url)
    }

    /// A log made with `log init`, with one note.
    static func makeLog() throws -> TemporaryDirectory {
        let directory = try TemporaryDirectory(prefix: "log-cli")
        let created = try run(
            ["init", "log", "--origin", origin, "--key", "log.key", "--actor", "alice@example.org"], in: directory)
        #expect(created.status == 0, "\(created)")
        let noted = try run(
            ["note", "log", "--key", "log.key", "--text", "tamper-evident bags checked"], in: directory)
        #expect(noted.status == 0, "\(noted)")
        return directory
    }

    static func json(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    @Test("init generates a 0600 key, writes the layout, prints the vkey; the seed is never printed")
    func initialize() throws {
        let directory = try TemporaryDirectory(prefix: "log-cli")
        let result = try Self.run(["init", "log", "--origin", Self.origin, "--key", "log.key"], in: directory)
        #expect(result.status == 0, "\(result)")
        let key = try String(contentsOfFile: directory.path("log.key"), encoding: .utf8)
        let attributes = try FileManager.default.attributesOfItem(atPath: directory.path("log.key"))
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        #expect(key.hasPrefix("PRIVATE+KEY+\(Self.origin)+"))
        let seed = String(key.split(separator: "+", maxSplits: 4)[4].dropLast())
        #expect(!result.stdout.contains(seed) && !result.stderr.contains(seed))
        let vkey = try String(contentsOfFile: directory.path("log/log.vkey"), encoding: .utf8)
        #expect(result.stdout.contains(vkey.trimmingCharacters(in: .newlines)))
        #expect(result.stdout.contains("root words"))
        for name in ["entries.jsonl", "checkpoint", "checkpoints/00000000000000000001.note"] {
            #expect(FileManager.default.fileExists(atPath: directory.path("log/" + name)), "\(name)")
        }
        let again = try Self.run(["init", "log", "--origin", Self.origin, "--key", "log.key"], in: directory)
        #expect(again.status == 2, "\(again)")
    }

    @Test("keygen prints only the vkey, never overwrites, makes witness keys of type 0x04")
    func keygen() throws {
        let directory = try TemporaryDirectory(prefix: "log-cli")
        let result = try Self.run(
            ["keygen", "--name", "witness.example/w1", "--out", "w1.key", "--witness"], in: directory)
        #expect(result.status == 0, "\(result)")
        let vkey = result.stdout.trimmingCharacters(in: .newlines)
        #expect(vkey.hasPrefix("witness.example/w1+") && !vkey.contains("\n"))
        let keyType = try #require(Data(base64Encoded: String(vkey.split(separator: "+", maxSplits: 2)[2]))?.first)
        #expect(keyType == 0x04)
        let before = try Data(contentsOf: directory.url.appendingPathComponent("w1.key"))
        let again = try Self.run(["keygen", "--name", "witness.example/w1", "--out", "w1.key"], in: directory)
        #expect(again.status == 2 && again.stderr.contains("never overwritten"), "\(again)")
        #expect(try Data(contentsOf: directory.url.appendingPathComponent("w1.key")) == before)
    }

    @Test("verify: exit 0 and one JSON document; tampering exits 1 with class and first bad index")
    func verify() throws {
        let directory = try Self.makeLog()
        let text = try Self.run(["verify", "log", "--vkey", "log/log.vkey"], in: directory)
        #expect(
            text.status == 0 && text.stdout.contains("verdict: VALID") && text.stdout.contains("anchored: no"),
            "\(text)")
        #expect(text.stderr.contains("anchored: no"))
        let json = try Self.run(["verify", "log", "--json"], in: directory)
        #expect(json.status == 0, "\(json)")
        let document = try Self.json(json.stdout)
        #expect(document["verdict"] as? String == "valid" && document["entries"] as? Int == 2)
        #expect(json.stdout.split(separator: "\n").count > 1, "indented, as every --json (docs/json-output.md)")

        let entries = directory.path("log/entries.jsonl")
        var lines = try String(contentsOfFile: entries, encoding: .utf8).split(
            separator: "\n", omittingEmptySubsequences: false)
        lines[0] = Substring(lines[0].replacingOccurrences(of: "alice@example.org", with: "mallory@example.org"))
        try lines.joined(separator: "\n").write(toFile: entries, atomically: false, encoding: .utf8)
        let tampered = try Self.run(["verify", "log", "--json"], in: directory)
        #expect(tampered.status == 1, "\(tampered)")
        let report = try Self.json(tampered.stdout)
        #expect(report["class"] as? String == "CHAIN_BREAK" && report["firstBadIndex"] as? Int == 0, "\(report)")
        let human = try Self.run(["verify", "log"], in: directory)
        #expect(human.status == 1 && human.stdout.contains("CHAIN_BREAK at entry 0"), "\(human)")
    }

    @Test("verify: a bad vkey or a missing log exits 2, also as one JSON document")
    func verifyInput() throws {
        let directory = try Self.makeLog()
        try "not a vkey\n".write(toFile: directory.path("bad.vkey"), atomically: false, encoding: .utf8)
        let bad = try Self.run(["verify", "log", "--vkey", "bad.vkey", "--json"], in: directory)
        #expect(bad.status == 2, "\(bad)")
        #expect(try Self.json(bad.stdout)["class"] as? String == "BAD_VKEY")
        let missing = try Self.run(["verify", "nowhere"], in: directory)
        #expect(missing.status == 2, "\(missing)")
        let usage = try Self.run(["verify"], in: directory)
        #expect(usage.status == 2, "\(usage)")
    }

    @Test("show lists entries with leaf hashes and the latest root as PGP words")
    func show() throws {
        let directory = try Self.makeLog()
        let text = try Self.run(["show", "log"], in: directory)
        #expect(
            text.status == 0 && text.stdout.contains("log.open") && text.stdout.contains("tamper-evident bags checked"),
            "\(text)")
        #expect(text.stdout.contains("root (words)") && text.stdout.contains("words "))
        let json = try Self.run(["show", "log", "--json"], in: directory)
        let document = try Self.json(json.stdout)
        #expect((document["entries"] as? [Any])?.count == 2)
        let latest = try #require(document["latestCheckpoint"] as? [String: Any])
        #expect((latest["rootWords"] as? String)?.split(separator: " ").count == 32)
    }

    @Test("cosign: a witness cosigns, its state anchors verify; a rollback exits 1")
    func cosign() throws {
        let directory = try Self.makeLog()
        #expect(
            try Self.run(["keygen", "--name", "witness.example/w1", "--out", "w1.key", "--witness"], in: directory)
                .status == 0)
        let cosigned = try Self.run(["cosign", "log", "--witness-key", "w1.key", "--state", "w1.state"], in: directory)
        #expect(cosigned.status == 0 && cosigned.stdout.contains("\u{2014} witness.example/w1 "), "\(cosigned)")
        let anchored = try Self.run(["verify", "log", "--trusted-checkpoint", "w1.state"], in: directory)
        #expect(anchored.status == 0 && anchored.stdout.contains("anchored: yes"), "\(anchored)")

        #expect(try Self.run(["note", "log", "--key", "log.key", "--text", "second"], in: directory).status == 0)
        #expect(
            try Self.run(["cosign", "log", "--witness-key", "w1.key", "--state", "w1.state"], in: directory).status == 0
        )
        try FileManager.default.removeItem(atPath: directory.path("log/checkpoint"))
        try FileManager.default.copyItem(
            atPath: directory.path("log/checkpoints/00000000000000000002.note"),
            toPath: directory.path("log/checkpoint"))
        let rollback = try Self.run(["cosign", "log", "--witness-key", "w1.key", "--state", "w1.state"], in: directory)
        #expect(rollback.status == 1 && rollback.stderr.contains("rollback"), "\(rollback)")
    }

    @Test("a key file readable by others is refused (exit 2)")
    func keyMode() throws {
        let directory = try Self.makeLog()
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: directory.path("log.key"))
        let result = try Self.run(["note", "log", "--key", "log.key", "--text", "x"], in: directory)
        #expect(result.status == 2 && result.stderr.contains("chmod 600"), "\(result)")
    }

    @Test("log --help lists the subcommands")
    func help() throws {
        let directory = try TemporaryDirectory(prefix: "log-cli")
        let result = try Self.run(["--help"], in: directory)
        #expect(result.status == 0)
        for name in ["init", "keygen", "note", "verify", "show", "cosign"] {
            #expect(result.stdout.contains(name), "\(name)")
        }
    }
}
