import Foundation
import HSMSyncCore
import HSMSyncModel
import HSMSyncTesting
import PKCS11
import PKCS11Endpoint
import SLIP39
import SecureMemory
import SignedLog
import Testing

/// `hsmsync transport …`, run as an operator runs it: the real binary, exit codes, stdout/stderr,
/// share files on disk, and the terminal (through a pseudo-terminal) for `--show` and typed shares.
@Suite("hsmsync transport")
struct TransportCommandTests {
    static let label = "hsmsync-transport"

    /// `primary-1` and `dr-1` (and `member-1` with `count: 3`) on fresh tokens.
    static func fleet(_ hint: String, count: Int = 2, badPINFor badIndex: Int? = nil) async throws
        -> (TestFleet, [TestToken])
    {
        var tokens: [TestToken] = []
        for index in 0..<count {
            tokens.append(try await SoftHSMFixture.shared.makeToken("\(hint)\(index)"))
        }
        let names = ["primary-1", "dr-1", "member-1"]
        let fleet = try TestFleet(
            members: tokens.enumerated().map { index, token in
                var member = TestFleet.Member(names[index], role: index == 0 ? "primary" : "secondary", token: token)
                if index == badIndex { member.pin = "Wr0ngPinValue" }
                return member
            })
        return (fleet, tokens)
    }

    /// Objects on `token` carrying the transport label, seen from this process.
    static func transportObjects(_ token: TestToken) async throws -> Int {
        let session = try await SoftHSMFixture.shared.module().loggedInSession(token)
        return try session.findObjects(matching: [.label(label)]).count
    }

    /// Puts a transport key with `value` and `changes` on `token` directly (a pre-existing key).
    static func plantKey(_ token: TestToken, value: [UInt8], changes: [Attribute] = []) async throws {
        let session = try await SoftHSMFixture.shared.module().loggedInSession(token)
        let types = Set(changes.map(\.type))
        let template = TransportKeyTemplate.attributes(label: label).filter { !types.contains($0.type) } + changes
        _ = try session.createObject(template, secretValue: SecretBytes(copying: value))
    }

    /// The first word after `title` on the output line that starts with it ("check value 0a1b…: …").
    static func values(in output: String, after title: String) -> String? {
        for line in output.split(whereSeparator: \.isNewline) {
            let trimmed = line.drop { $0 == " " }
            guard trimmed.hasPrefix(title + " ") else { continue }
            let rest = trimmed.dropFirst(title.count).drop { $0 == " " }
            return String(rest.prefix { !$0.isWhitespace && $0 != ":" })
        }
        return nil
    }

    @Test("create → share files (0600) → install from 2 of 3 on a second HSM → verify: one check value, exit 0")
    func createInstallVerify() async throws {
        let (fleet, tokens) = try await Self.fleet("cli-c")
        let shares = try TemporaryDirectory(prefix: "shares")
        let created = try fleet.hsmsync([
            "transport", "create", "--fleet", fleet.path, "--hsm", "primary-1", "--shares", "3", "--threshold", "2",
            "--out-dir", shares.url.path,
        ])
        #expect(created.status == 0, "\(created)")
        let kcv = try #require(Self.values(in: created.stdout, after: "key check value"))
        let checkValue = try #require(Self.values(in: created.stdout, after: "check value"))
        #expect(kcv.count == 10 && checkValue.count == 16)
        #expect(created.stdout.contains("2 of 3 needed to rebuild the key (SLIP-0039 set "))
        #expect(created.stdout.contains("WRAP and UNWRAP only; sensitive, non-extractable, non-modifiable"))
        #expect(created.stderr.contains("SHA-1 RSA-OAEP works"), "the SoftHSM2 limitation is said")
        let files = (1...3).map { shares.path("transport-share-\($0)-of-3.txt") }
        for file in files {
            let attributes = try FileManager.default.attributesOfItem(atPath: file)
            #expect((attributes[.posixPermissions] as? Int) == 0o600)
            let text = try String(contentsOfFile: file, encoding: .utf8)
            #expect(text.contains("# key check value \(kcv) ("))
            #expect(!created.stdout.contains(text.split(separator: "\n").last!), "no share words on stdout")
        }
        #expect(try await Self.transportObjects(tokens[0]) == 1)

        let installed = try fleet.hsmsync([
            "transport", "install", "--fleet", fleet.path, "--hsm", "dr-1", "--share", files[2], files[0], "--kcv", kcv,
        ])
        #expect(installed.status == 0, "\(installed)")
        #expect(Self.values(in: installed.stdout, after: "check value") == checkValue)
        #expect(installed.stderr.contains("transport-share-1-of-3.txt: accepted share 1 of set "))

        let verified = try fleet.hsmsync(["transport", "verify", "--fleet", fleet.path])
        #expect(verified.status == 0, "\(verified)")
        #expect(verified.stdout.contains("of fleet test-fleet: ok"))
        #expect(verified.stdout.contains("check value \(checkValue)"))
        let json = try fleet.hsmsync(["transport", "verify", "--fleet", fleet.path, "--json"])
        #expect(json.status == 0)
        let document = try #require(
            try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect(document["status"] as? String == "ok")
        let hsms = try #require(document["hsms"] as? [[String: Any]])
        #expect(hsms.map { $0["name"] as? String } == ["primary-1", "dr-1"])
        #expect(hsms.map { $0["checkValue"] as? String } == [checkValue, checkValue])
        #expect(hsms.allSatisfy { $0["present"] as? Bool == true && $0["objects"] as? Int == 1 })
        #expect(hsms.allSatisfy { ($0["violations"] as? [String])?.isEmpty == true })
        #expect(json.stderr.isEmpty)
    }

    @Test("verify: a transport key that may also decrypt is named with its HSM, exit 1")
    func verifyPolicyViolation() async throws {
        let (fleet, tokens) = try await Self.fleet("cli-v")
        let value = (0..<32).map { UInt8($0 * 7 & 0xFF) }
        try await Self.plantKey(tokens[0], value: value)
        try await Self.plantKey(tokens[1], value: value, changes: [.bool(.decrypt, true)])
        let result = try fleet.hsmsync(["transport", "verify", "--fleet", fleet.path])
        #expect(result.status == 1, "\(result)")
        #expect(result.stdout.contains("dr-1: transport key may also decrypt (a KEK may only wrap and unwrap)"))
        #expect(!result.stdout.contains("primary-1: transport key"))
        #expect(result.stdout.contains("MISMATCH"))
    }

    @Test("verify: a wrong PIN on one HSM is reported and exits 3; the others are still checked")
    func verifyWrongPIN() async throws {
        let (fleet, tokens) = try await Self.fleet("cli-p", count: 3, badPINFor: 1)
        let value = [UInt8](repeating: 0x5A, count: 32)
        try await Self.plantKey(tokens[0], value: value)
        try await Self.plantKey(tokens[2], value: value)
        let result = try fleet.hsmsync(["transport", "verify", "--fleet", fleet.path, "--json"])
        #expect(result.status == 3, "\(result)")
        let document = try #require(
            try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(document["status"] as? String == "error")
        let hsms = try #require(document["hsms"] as? [[String: Any]])
        #expect((hsms[1]["error"] as? String)?.contains("CKR_PIN_INCORRECT") == true)
        #expect(
            hsms[0]["checkValue"] as? String != nil
                && hsms[0]["checkValue"] as? String == hsms[2]["checkValue"] as? String)
        #expect(!result.stdout.contains("Wr0ngPinValue") && !result.stderr.contains("Wr0ngPinValue"))
    }

    @Test("install: a share entered twice is refused with a precise message; nothing is imported (exit 2)")
    func installDuplicateShare() async throws {
        let (fleet, tokens) = try await Self.fleet("cli-d")
        let shares = try TemporaryDirectory(prefix: "shares")
        let created = try fleet.hsmsync([
            "transport", "create", "--fleet", fleet.path, "--hsm", "primary-1", "--shares", "3", "--threshold", "2",
            "--out-dir", shares.url.path,
        ])
        #expect(created.status == 0, "\(created)")
        let file = shares.path("transport-share-1-of-3.txt")
        let result = try fleet.hsmsync([
            "transport", "install", "--fleet", fleet.path, "--hsm", "dr-1", "--share", file, file,
        ])
        #expect(result.status == 2, "\(result)")
        #expect(result.stderr.contains("\(file): entry 2 is entry 1 entered again; nothing was imported"))
        #expect(try await Self.transportObjects(tokens[1]) == 0)

        let tooFew = try fleet.hsmsync([
            "transport", "install", "--fleet", fleet.path, "--hsm", "dr-1", "--share", file,
        ])
        #expect(tooFew.status == 2 && tooFew.stderr.contains("1 share was entered; 2 are needed"), "\(tooFew)")
        #expect(try await Self.transportObjects(tokens[1]) == 0)
    }

    @Test("install: a key check value unlike the ceremony record stops the import (exit 1)")
    func installKCVMismatch() async throws {
        let (fleet, tokens) = try await Self.fleet("cli-k")
        let shares = try TemporaryDirectory(prefix: "shares")
        let created = try fleet.hsmsync([
            "transport", "create", "--fleet", fleet.path, "--hsm", "primary-1", "--shares", "2", "--threshold", "2",
            "--out-dir", shares.url.path,
        ])
        #expect(created.status == 0, "\(created)")
        let result = try fleet.hsmsync([
            "transport", "install", "--fleet", fleet.path, "--hsm", "dr-1", "--share",
            shares.path("transport-share-1-of-2.txt"), shares.path("transport-share-2-of-2.txt"), "--kcv",
            "00:11:22:33:44",
        ])
        #expect(result.status == 1, "\(result)")
        #expect(result.stderr.contains("but the ceremony record says 0011223344"))
        #expect(try await Self.transportObjects(tokens[1]) == 0)
        let malformed = try fleet.hsmsync([
            "transport", "install", "--fleet", fleet.path, "--hsm", "dr-1", "--kcv", "12345",
        ])
        #expect(malformed.status == 2, "\(malformed)")
    }

    @Test("create refuses, changing nothing: a share file exists, the label is taken, M < 2, no output chosen")
    func createRefusals() async throws {
        let (fleet, tokens) = try await Self.fleet("cli-r")
        let shares = try TemporaryDirectory(prefix: "shares")
        let existing = shares.path("transport-share-2-of-3.txt")
        try "keep me".write(toFile: existing, atomically: false, encoding: .utf8)
        let arguments = [
            "transport", "create", "--fleet", fleet.path, "--hsm", "primary-1", "--shares", "3", "--threshold", "2",
            "--out-dir", shares.url.path,
        ]
        let blocked = try fleet.hsmsync(arguments)
        #expect(blocked.status == 2, "\(blocked)")
        #expect(blocked.stderr.contains("\(existing) already exists; hsmsync never overwrites a share file"))
        #expect(try String(contentsOfFile: existing, encoding: .utf8) == "keep me")
        #expect(try await Self.transportObjects(tokens[0]) == 0)
        try FileManager.default.removeItem(atPath: existing)

        try await Self.plantKey(tokens[0], value: [UInt8](repeating: 1, count: 32))
        let taken = try fleet.hsmsync(arguments)
        #expect(taken.status == 2, "\(taken)")
        #expect(
            taken.stderr.contains("primary-1: an object with the transport label \"hsmsync-transport\" already exists"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: shares.url.path).isEmpty)
        #expect(try await Self.transportObjects(tokens[0]) == 1)

        let one = try fleet.hsmsync([
            "transport", "create", "--fleet", fleet.path, "--hsm", "dr-1", "--shares", "3", "--threshold", "1",
            "--out-dir", shares.url.path,
        ])
        #expect(one.status == 2 && one.stderr.contains("a threshold of 1 is refused"), "\(one)")
        let neither = try fleet.hsmsync([
            "transport", "create", "--fleet", fleet.path, "--hsm", "dr-1", "--shares", "3", "--threshold", "2",
        ])
        #expect(neither.status == 2 && neither.stderr.contains("give exactly one of --out-dir DIR and --show"))
        let unknown = try fleet.hsmsync([
            "transport", "create", "--fleet", fleet.path, "--hsm", "nope", "--shares", "3", "--threshold", "2",
            "--out-dir", shares.url.path,
        ])
        #expect(unknown.status == 2 && unknown.stderr.contains("has no HSM called nope"), "\(unknown)")
        #expect(try await Self.transportObjects(tokens[1]) == 0)
    }

    @Test("agree: ECDH between two HSMs, then verify: parity; a second agree is refused")
    func agree() async throws {
        let (fleet, tokens) = try await Self.fleet("cli-a")
        let result = try fleet.hsmsync([
            "transport", "agree", "--fleet", fleet.path, "--from", "primary-1", "--to", "dr-1",
        ])
        #expect(result.status == 0, "\(result)")
        #expect(result.stdout.contains("on P-384"))
        #expect(result.stdout.contains("CKD_NULL: not an SP 800-56C key derivation"))
        let checkValue = try #require(Self.values(in: result.stdout, after: "check value"))
        let verified = try fleet.hsmsync(["transport", "verify", "--fleet", fleet.path])
        #expect(verified.status == 0, "\(verified)")
        #expect(verified.stdout.contains("check value \(checkValue)"))
        let again = try fleet.hsmsync([
            "transport", "agree", "--fleet", fleet.path, "--from", "primary-1", "--to", "dr-1",
        ])
        #expect(again.status == 2, "\(again)")
        #expect(try await Self.transportObjects(tokens[0]) == 1)
        #expect(try await Self.transportObjects(tokens[1]) == 1)
        let same = try fleet.hsmsync(["transport", "agree", "--fleet", fleet.path, "--from", "dr-1", "--to", "dr-1"])
        #expect(same.status == 2, "\(same)")
    }

    // MARK: The terminal

    static let python = ProcessInfo.processInfo.environment["HSMSYNC_PYTHON"] ?? "python3"
    static let skipPython = ProcessInfo.processInfo.environment["HSMSYNC_SKIP_PYTHON"] == "1"
    static let driver = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Python/pty_driver.py").path

    /// Runs hsmsync on a pseudo-terminal, answering prompts as `steps` say.
    static func onTerminal(_ fleet: TestFleet, _ arguments: [String], steps: [[String: Any]]) throws -> ProcessResult {
        let json = String(decoding: try JSONSerialization.data(withJSONObject: steps), as: UTF8.self)
        return try CommandRunner.run(
            URL(fileURLWithPath: "/usr/bin/env"),
            [python, driver, json, "--", CommandRunner.hsmsync.path] + arguments,
            environment: SoftHSMFixture.shared.environment)
    }

    /// The shares as a screen showed them: for each share, its numbered words in order.
    static func sharesOnScreen(_ screen: String) -> [String] {
        screen.components(separatedBy: "# hsmsync transport key share").dropFirst().map { part in
            let lines = part.components(separatedBy: "Write all the words down")[0].split(whereSeparator: \.isNewline)
            return lines.dropFirst().filter { !$0.contains("#") }.flatMap { line in
                line.split(separator: " ").filter { !$0.hasSuffix(".") && $0.allSatisfy(\.isLetter) }
            }.joined(separator: " ")
        }
    }

    @Test(
        "create --show: one custodian at a time, screen cleared in between; the shown shares rebuild the key",
        .disabled(if: skipPython))
    func show() async throws {
        let (fleet, tokens) = try await Self.fleet("cli-s")
        var steps: [[String: Any]] = []
        for number in 1...3 {
            steps.append(["expect": "Press Enter to show share \(number).", "send": "\n"])
            steps.append(["expect": "press Enter to clear the screen", "send": "\r"])
        }
        let result = try Self.onTerminal(
            fleet,
            [
                "transport", "create", "--fleet", fleet.path, "--hsm", "primary-1", "--shares", "3", "--threshold", "2",
                "--show",
            ],
            steps: steps)
        #expect(result.status == 0, "\(result)")
        let screen = result.stdout
        let clear = "\u{1B}[3J\u{1B}[H\u{1B}[2J"
        // Each share is followed by a clear before the next custodian's notice.
        for number in 1...2 {
            let shown = try #require(screen.range(of: "share \(number) of set "))
            let next = try #require(screen.range(of: "custodian \(number + 1) of 3\r\n"))
            #expect(screen[shown.upperBound..<next.lowerBound].contains(clear))
        }
        let shares = Self.sharesOnScreen(screen)
        #expect(shares.count == 3 && shares.allSatisfy { $0.split(separator: " ").count == 33 }, "\(shares)")
        var recovery = ShareRecovery()
        try recovery.add(SecretBytes(copying: Array(shares[2].utf8)))
        try recovery.add(SecretBytes(copying: Array(shares[0].utf8)))
        let kcv = try #require(Self.values(in: screen, after: "key check value"))
        #expect(try TransportKeyMaterial.recover(from: recovery, expectedKCV: KeyCheckValue(hex: kcv)).kcv.hex == kcv)
        #expect(try await Self.transportObjects(tokens[0]) == 1)
    }

    @Test(
        "install at the hidden prompt: a repeated share is named and re-asked; two good ones install the key",
        .disabled(if: skipPython))
    func typedShares() async throws {
        let (fleet, tokens) = try await Self.fleet("cli-t")
        let shares = try TemporaryDirectory(prefix: "shares")
        let created = try fleet.hsmsync([
            "transport", "create", "--fleet", fleet.path, "--hsm", "primary-1", "--shares", "3", "--threshold", "2",
            "--out-dir", shares.url.path,
        ])
        #expect(created.status == 0, "\(created)")
        let words = try (1...3).map { number in
            try String(contentsOfFile: shares.path("transport-share-\(number)-of-3.txt"), encoding: .utf8)
                .split(separator: "\n").filter { !$0.hasPrefix("#") && !$0.isEmpty }.joined(separator: " ")
        }
        let result = try Self.onTerminal(
            fleet, ["transport", "install", "--fleet", fleet.path, "--hsm", "dr-1"],
            steps: [
                ["expect": "Entry 1:", "send": words[1] + "\n", "hidden": true],
                ["expect": "Entry 2 (1 of 2 shares entered):", "send": words[1] + "\n", "hidden": true],
                ["expect": "entry 2 refused: entry 2 is entry 1 entered again; enter it again", "send": ""],
                ["expect": "Entry 2 (1 of 2 shares entered):", "send": words[2] + "\n", "hidden": true],
            ])
        #expect(result.status == 0, "\(result)")
        #expect(
            !result.stdout.contains(words[1].split(separator: " ")[3...8].joined(separator: " ")),
            "typed words are not echoed")
        #expect(
            Self.values(in: result.stdout, after: "check value")
                == Self.values(in: created.stdout, after: "check value"))
        #expect(try await Self.transportObjects(tokens[1]) == 1)
    }
}
