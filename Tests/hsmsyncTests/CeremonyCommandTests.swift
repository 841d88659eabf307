import Foundation
import HSMSyncCore
import HSMSyncModel
import HSMSyncTesting
import PKCS11
import SecureMemory
import SignedLog
import Testing

/// `hsmsync ceremony …` end to end, through the built binary, on real SoftHSM2 tokens.
@Suite("hsmsync ceremony")
struct CeremonyCommandTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let ceremonies = root.appendingPathComponent("ceremonies")
    static let driver = root.appendingPathComponent("Tests/Python/pty_driver.py").path

    /// A two-HSM fleet (primary-1, dr-1) on fresh tokens, with a signed log created.
    static func makeFleet() async throws -> TestFleet {
        try await makeFleetAndTokens().fleet
    }

    /// primary-1 and dr-1 on fresh tokens, with an initialised signed log (file key) and a backup
    /// signing key (`backup.key`, its vkey in `backup.vkey`).
    static func makeFleetAndTokens(_ hint: String = "c", pin: String = "1234") async throws
        -> (fleet: TestFleet, primary: TestToken, dr: TestToken)
    {
        let primary = try await SoftHSMFixture.shared.makeToken(hint + "p", userPIN: pin)
        let dr = try await SoftHSMFixture.shared.makeToken(hint + "d", userPIN: pin)
        let fleet = try TestFleet(
            members: [
                .init("primary-1", role: "primary", token: primary), .init("dr-1", role: "secondary", token: dr),
            ],
            extra: TestFleet.fileKeyLog + "backup:\n  signing-key: file:backup.key\n")
        let origin = "test.example/hsmsync/" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        let created = try fleet.initializeLog(origin: origin)
        #expect(created.status == 0, "\(created)")
        let key = try fleet.hsmsync([
            "log", "keygen", "--name", "test.example/backup", "--out", fleet.directory.path("backup.key"),
        ])
        #expect(key.status == 0, "\(key)")
        try key.stdout.write(toFile: fleet.directory.path("backup.vkey"), atomically: true, encoding: .utf8)
        return (fleet, primary, dr)
    }

    /// The CA keys the shipped ceremonies work on: an AES key and an EC pair on `token`, extractable,
    /// without CKA_WRAP_WITH_TRUSTED (SoftHSM2's transport key cannot be CKA_TRUSTED).
    static func plantCAKeys(_ token: TestToken) async throws {
        let session = try await SoftHSMFixture.shared.module().loggedInSession(token)
        try session.importTestAESKey(label: "ca-aes", id: [1], value: TestMaterial.aesKey(1), wrapWithTrusted: false)
        try session.importTestECPair(
            label: "ca-issuing", id: [2], key: TestMaterial.ecKey(2), extractable: true,
            privateExtra: [.bool(.wrapWithTrusted, false)])
    }

    /// `ceremony run FILE --rehearse` with answers from `inputs`, into the rehearsal log `log`.
    static func rehearse(_ file: String, fleet path: String, inputs: String, log: String, in fleet: TestFleet) throws
        -> ProcessResult
    {
        try fleet.hsmsync([
            "ceremony", "run", file, "--fleet", path, "--inputs", inputs, "--rehearse", "--rehearsal-log", log,
        ])
    }

    /// Writes `DIR/<step>/<person>.txt` answers.
    static func answers(_ fleet: TestFleet, _ lines: [(step: String, person: String, text: String)]) throws -> String {
        let directory = fleet.directory.path("inputs")
        for line in lines {
            try FileManager.default.createDirectory(
                atPath: "\(directory)/\(line.step)", withIntermediateDirectories: true)
            try (line.text + "\n").write(
                toFile: "\(directory)/\(line.step)/\(line.person).txt", atomically: true, encoding: .utf8)
        }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        return directory
    }

    /// How many times each step began, from the log.
    static func begins(_ fleet: TestFleet, log: String = "audit-log") throws -> [String: Int] {
        var counts: [String: Int] = [:]
        for entry in try CeremonyLogReader.entries(logDirectory: fleet.directory.path(log))
        where entry.action == "ceremony.step.begin" {
            counts[entry.step!, default: 0] += 1
        }
        return counts
    }

    static let establishAnswers: [(step: String, person: String, text: String)] = [
        ("room-ready", "Morgan (master of ceremonies)", "yes"),
        ("sign-off", "Harper (internal witness)", "Harper (internal witness)"),
        ("sign-off", "Ivy (external witness)", "Ivy (external witness)"),
    ]

    @Test("every shipped ceremony validates (exit 0)")
    func shippedCeremoniesValidate() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.ceremonies.path)
            .filter { $0.hasSuffix(".yaml") && !$0.hasPrefix("fleet") }.sorted()
        #expect(files.count == 5)
        for file in files {
            let result = try CommandRunner.hsmsync([
                "ceremony", "validate", Self.ceremonies.appendingPathComponent(file).path,
            ])
            #expect(result.status == 0, "\(file): \(result)")
        }
    }

    /// The shipped backup-primary, then restore-secondary rehearsed and run, non-interactively:
    /// the DR restore as a ceremony. Shares come from `transport create` into the inputs directory.
    @Test(
        "backup-primary then restore-secondary (rehearsed, then run): dr-1 restored and proven, parity, both logs verify"
    )
    func backupAndRestoreCeremonies() async throws {
        let (fleet, primary, dr) = try await Self.makeFleetAndTokens("b")
        let inputs = try Self.answers(fleet, Self.establishAnswers)
        let shares = inputs + "/shares/hsmsync-transport"
        try FileManager.default.createDirectory(
            atPath: shares, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let created = try fleet.hsmsync([
            "transport", "create", "--fleet", fleet.path, "--hsm", "primary-1", "--shares", "5", "--threshold", "3",
            "--out-dir", shares,
        ])
        #expect(created.status == 0, "\(created)")
        let kcv = try #require(
            TransportCommandTests.values(in: created.stdout, after: "key check value"), "\(created)")
        _ = try Self.answers(fleet, [("install-dr", "Morgan (master of ceremonies)", kcv)])
        try await Self.plantCAKeys(primary)

        let backup = Self.ceremonies.appendingPathComponent("backup-primary.yaml").path
        let backupRehearsal = try Self.rehearse(
            backup, fleet: fleet.path, inputs: inputs, log: fleet.directory.path("backup-rehearsal-log"), in: fleet)
        #expect(backupRehearsal.status == 0, "\(backupRehearsal)")
        #expect(
            backupRehearsal.stdout.contains(
                "REHEARSAL: primary-1: 2 stand-in key(s) with fresh material, a stand-in transport key"),
            "\(backupRehearsal)")
        let rehearsalBundle = fleet.directory.path("backup-rehearsal-log.bundles/backups_primary-1.hsmbackup")
        #expect(FileManager.default.fileExists(atPath: rehearsalBundle))
        #expect(!FileManager.default.fileExists(atPath: fleet.directory.path("backups/primary-1.hsmbackup")))
        let backedUp = try fleet.hsmsync(["ceremony", "run", backup, "--fleet", fleet.path, "--inputs", inputs])
        #expect(backedUp.status == 0, "\(backedUp)")
        let bundle = fleet.directory.path("backups/primary-1.hsmbackup")
        #expect(FileManager.default.fileExists(atPath: bundle))
        // Signed with the fleet's backup key; the rehearsal's bundle holds the same labels under another
        // (stand-in) backup key, so no real material went into it, and the fleet does not trust it.
        func manifest(_ path: String) throws -> [String: Any] {
            let verified = try fleet.hsmsync([
                "backup", "verify", path, "--vkey", fleet.directory.path("backup.vkey"), "--json",
            ])
            #expect(verified.status == (path == bundle ? 0 : 1), "\(path): \(verified)")
            return try #require(
                try JSONSerialization.jsonObject(with: Data(verified.stdout.utf8)) as? [String: Any], "\(verified)")
        }
        let real = try #require(try manifest(bundle)["manifest"] as? [String: Any])
        #expect(try manifest(rehearsalBundle)["status"] as? String == "damaged")
        let rehearsalManifest = try fleet.hsmsync(["backup", "verify", rehearsalBundle, "--json"])
        let standIn = try #require(
            (try JSONSerialization.jsonObject(with: Data(rehearsalManifest.stdout.utf8)) as? [String: Any])?[
                "manifest"] as? [String: Any], "\(rehearsalManifest)")
        let checkValue = { (manifest: [String: Any]) in
            (manifest["backupKey"] as? [String: Any])?["checkValue"] as? String
        }
        #expect(checkValue(real) != nil && checkValue(real) != checkValue(standIn), "\(real) \(standIn)")

        let restore = Self.ceremonies.appendingPathComponent("restore-secondary.yaml").path
        let drBefore = try await SoftHSMFixture.shared.module().loggedInSession(dr).findObjects().count
        let rehearsalLog = fleet.directory.path("rehearsal-log")
        let rehearsed = try Self.rehearse(restore, fleet: fleet.path, inputs: inputs, log: rehearsalLog, in: fleet)
        #expect(rehearsed.status == 0, "\(rehearsed)")
        #expect(try Self.begins(fleet, log: "rehearsal-log")["restore"] == 1)
        let drAfterRehearsal = try await SoftHSMFixture.shared.module().loggedInSession(dr).findObjects().count
        #expect(drAfterRehearsal == drBefore, "a rehearsal never touches the real dr-1")

        let restored = try fleet.hsmsync(["ceremony", "run", restore, "--fleet", fleet.path, "--inputs", inputs])
        #expect(restored.status == 0, "\(restored)")
        let audit = try fleet.hsmsync(["audit", "--fleet", fleet.path, "--json"])
        #expect(audit.status == 0, "the restored dr-1 is in parity with primary-1: \(audit)")
        let entries = try CeremonyLogReader.entries(logDirectory: fleet.directory.path("audit-log"))
        let step = try #require(
            entries.first { $0.action == "ceremony.step" && $0.step == "restore" && $0.result == "ok" })
        // The AES key and both halves of the EC pair, each proven; nothing was there before.
        guard case .array(let restoredKeys) = step.outputs["restored"] else {
            Issue.record("no restored list: \(step.outputs)")
            return
        }
        #expect(restoredKeys.count == 3, "\(restoredKeys)")
        #expect(step.outputs["present"] == .integer(0), "\(step.outputs)")
        #expect(!"\(restoredKeys)".contains("unavailable"), "\(restoredKeys)")
        for log in ["audit-log", "rehearsal-log", "backup-rehearsal-log"] {
            let verify = try fleet.hsmsync(["log", "verify", fleet.directory.path(log)])
            #expect(verify.status == 0, "\(log): \(verify)")
        }
    }

    static let validScript = TestCeremony.script(
        "t",
        steps: """
              - id: one
                title: First
                by: M
                action: generate-key
                with:
                  hsm: primary-1
                  label: KEYLABEL
                  id: "01"
                  type: aes
                  size: 256
                  attributes: {sensitive: true, extractable: true, wrap-with-trusted: true, modifiable: false, sign: true, verify: true, encrypt: false, decrypt: false, wrap: false, unwrap: false, derive: false}
              - id: ask
                title: Confirm
                by: M
                action: confirm
                with: {prompt: Ready?}
              - id: two
                title: Second
                by: M
                action: generate-key
                with:
                  hsm: primary-1
                  label: KEYLABEL2
                  id: "02"
                  type: ec
                  curve: P-256
                  attributes: {sensitive: true, extractable: false, wrap-with-trusted: true, modifiable: false, sign: true, verify: true, encrypt: false, decrypt: false, wrap: false, unwrap: false, derive: false}
              - id: sign
                title: Sign off
                by: M
                action: witness-sign-off
                with: {witnesses: [W], statement: I saw it., method: typed}
              - id: end
                title: Close
                by: M
                action: close
                with: {statement: Done.}
            """)

    @Test(
        "malformed ceremony files exit 2 with the YAML path, and no module is loaded",
        arguments: [
            ("action: confirm", "action: confirmm", "steps[1].action"),
            ("with: {prompt: Ready?}", "with: {}", "steps[1].with.prompt"),
            ("size: 256", "size: big", "steps[0].with.size"),
            ("hsm: primary-1\n      label: KEYLABEL2", "hsm: nowhere-9\n      label: KEYLABEL2", "steps[2].with"),
            ("- id: two", "- id: one", "steps[2].id"),
            ("title: Confirm", "title: Confirm\n    colour: red", "steps[1].colour"),
            ("by: M\n    action: confirm", "by: Nobody\n    action: confirm", "steps[1].by"),
            (
                "action: confirm\n    with: {prompt: Ready?}",
                "action: replicate\n    with: {from: primary-1, to: [dr-1, primary-1], scope: {include: [\"*\"], exclude: []}}",
                "steps[1].with.to"
            ),
            (
                "action: confirm\n    with: {prompt: Ready?}",
                "action: replicate\n    with: {from: primary-1, to: [dr-1, dr-1], scope: {include: [\"*\"], exclude: []}}",
                "steps[1].with.to"
            ),
            (
                "action: confirm\n    with: {prompt: Ready?}",
                "action: backup-restore\n    with: {bundle: b.hsb, hsm: primary-1}", "steps[1].with.hsm"
            ),
        ])
    func malformed(original: String, replacement: String, path: String) throws {
        // A module that does not exist: loading it would fail with exit 3, so exit 2 shows nothing was loaded.
        let fleet = try TestFleet(
            members: [
                .init("primary-1", role: "primary", tokenURI: "pkcs11:token=x", module: "/nonexistent/libnone.so"),
                .init("dr-1", role: "secondary", tokenURI: "pkcs11:token=y", module: "/nonexistent/libnone.so"),
            ], extra: TestFleet.fileKeyLog)
        let good = fleet.directory.path("good.yaml")
        try Self.validScript.write(toFile: good, atomically: true, encoding: .utf8)
        let accepted = try CommandRunner.hsmsync(["ceremony", "validate", good])
        #expect(accepted.status == 0, "\(accepted)")
        #expect(Self.validScript.contains(original))
        let bad = fleet.directory.path("bad.yaml")
        try Self.validScript.replacingOccurrences(of: original, with: replacement)
            .write(toFile: bad, atomically: true, encoding: .utf8)
        for command in ["validate", "plan", "run"] {
            let result = try CommandRunner.hsmsync(["ceremony", command, bad])
            #expect(result.status == 2, "\(command): \(result)")
            #expect(result.stderr.contains(path), "\(command): \(result)")
        }
    }

    @Test("establish-transport-key: non-interactive run, every step once, the log verifies, transcript")
    func establishTransportKey() async throws {
        // A PIN distinctive enough to search for in everything the ceremony wrote and printed.
        let pin = "pin-" + Hex.random(byteCount: 6)
        let fleet = try await Self.makeFleetAndTokens(pin: pin).fleet
        let inputs = try Self.answers(fleet, Self.establishAnswers)
        let file = Self.ceremonies.appendingPathComponent("establish-transport-key.yaml").path
        let plan = try fleet.hsmsync(["ceremony", "plan", file, "--fleet", fleet.path])
        #expect(plan.status == 0, "\(plan)")
        #expect(plan.stdout.contains("plan words"))
        let run = try fleet.hsmsync(["ceremony", "run", file, "--fleet", fleet.path, "--inputs", inputs])
        #expect(run.status == 0, "\(run)")
        // The run checks the same plan the witnesses reviewed: same digest, same words.
        let planWords = plan.stdout.split(separator: "\n").first { $0.hasPrefix("plan words") }
        #expect(planWords != nil && run.stdout.contains(String(planWords!)), "\(plan)\n\(run)")
        let counts = try Self.begins(fleet)
        #expect(
            counts == [
                "check-fleet": 1, "room-ready": 1, "create": 1, "install-dr": 1, "verify": 1, "sign-off": 1, "close": 1,
            ])
        let verify = try fleet.hsmsync(["log", "verify", fleet.directory.path("audit-log")])
        #expect(verify.status == 0, "\(verify)")
        // Logged after the close: the transcript still shows the run's own final checkpoint, the
        // root words `run` printed for the witnesses to compare.
        let note = try fleet.hsmsync([
            "log", "note", fleet.directory.path("audit-log"), "--key", fleet.directory.path("log.key"), "--text",
            "tamper-evident bags sealed",
        ])
        #expect(note.status == 0, "\(note)")
        let rootWords = try #require(
            run.stdout.split(separator: "\n").first { $0.hasPrefix("root (words)") }
                .map { $0.dropFirst("root (words)".count).trimmingCharacters(in: .whitespaces) })
        let out = fleet.directory.path("transcript.md")
        let transcript = try fleet.hsmsync(["ceremony", "transcript", fleet.directory.path("audit-log"), "--out", out])
        #expect(transcript.status == 0, "\(transcript)")
        let text = try String(contentsOfFile: out, encoding: .utf8)
        #expect(text.contains("## Final checkpoint") && text.contains("| Root (PGP words) | \(rootWords) |"), "\(text)")
        #expect(text.contains("Signature: ____") && text.contains("Ivy (external witness)"))
        #expect(text.contains("kcv:"))
        // No share word reaches the log or the transcript: the first words of a share file are not there.
        let shareFile = "\(inputs)/shares/hsmsync-transport/transport-share-1-of-5.txt"
        let words = try String(contentsOfFile: shareFile, encoding: .utf8).split(separator: "\n")
            .filter { !$0.hasPrefix("#") }.joined(separator: " ").split(separator: " ").map(String.init)
        #expect(words.count == 33)
        let log = try String(contentsOfFile: fleet.directory.path("audit-log/entries.jsonl"), encoding: .utf8)
        #expect(!log.contains(words[4..<10].joined(separator: " ")))
        #expect(!text.contains(words[4..<10].joined(separator: " ")))
        // Nor does a PIN: not in the log, the transcript, or anything plan and run printed.
        for (place, content) in [
            ("log", log), ("transcript", text), ("plan", plan.stdout + plan.stderr), ("run", run.stdout + run.stderr),
        ] {
            #expect(!content.contains(pin), "the PIN is in the \(place)")
        }
        // A second run is refused: the transport label is in use now (plan, exit 2, nothing changed).
        let again = try fleet.hsmsync(["ceremony", "run", file, "--fleet", fleet.path, "--inputs", inputs])
        #expect(again.status == 2, "\(again)")
        #expect(again.stderr.contains("hsmsync-transport"))
        // A tampered log is refused by the transcript.
        var bytes = try Data(contentsOf: URL(fileURLWithPath: fleet.directory.path("audit-log/entries.jsonl")))
        let index = bytes.firstIndex(of: UInt8(ascii: "M"))!
        bytes[index] = UInt8(ascii: "N")
        try bytes.write(to: URL(fileURLWithPath: fleet.directory.path("audit-log/entries.jsonl")))
        let refused = try fleet.hsmsync([
            "ceremony", "transcript", fleet.directory.path("audit-log"), "--out", out + "2",
        ])
        #expect(refused.status == 1, "\(refused)")
        #expect(!FileManager.default.fileExists(atPath: out + "2"))
    }

    @Test("a failure mid-ceremony stops it with an account; --resume completes it; no step runs twice")
    func failureThenResume() async throws {
        let fleet = try await Self.makeFleet()
        let file = fleet.directory.path("t.yaml")
        try Self.validScript.write(toFile: file, atomically: true, encoding: .utf8)
        // Without the answer file of step `ask`, nothing starts: the inputs are checked before any HSM.
        let missing = try Self.answers(fleet, [("sign", "W", "W")])
        let refused = try fleet.hsmsync(["ceremony", "run", file, "--inputs", missing])
        #expect(refused.status == 2 && refused.stderr.contains("ask/M.txt"), "\(refused)")
        #expect(!FileManager.default.fileExists(atPath: fleet.directory.path("audit-log.ceremony-t.json")))
        // The master answers "no" at step `ask`: the ceremony stops there, after step `one`.
        let inputs = try Self.answers(fleet, [("ask", "M", "no")])
        let first = try fleet.hsmsync(["ceremony", "run", file, "--inputs", inputs])
        #expect(first.status == 2, "\(first)")
        #expect(first.stderr.contains("stopped at step ask"))
        #expect(first.stderr.contains("done:     one"))
        #expect(first.stderr.contains("not done: two, sign, end"))
        // Without --resume a new run is refused while this one is unfinished.
        let fresh = try fleet.hsmsync(["ceremony", "run", file, "--inputs", inputs])
        #expect(fresh.status == 2 && fresh.stderr.contains("--resume"), "\(fresh)")
        // Nor is the file edited in between: a changed script is a new ceremony, not a continuation.
        let edited = fleet.directory.path("edited.yaml")
        try Self.validScript.replacingOccurrences(of: "statement: Done.", with: "statement: Done again.")
            .write(toFile: edited, atomically: true, encoding: .utf8)
        let changed = try fleet.hsmsync(["ceremony", "run", edited, "--inputs", inputs, "--resume"])
        #expect(changed.status == 2 && changed.stderr.contains("a changed script is a new ceremony"), "\(changed)")
        _ = try Self.answers(fleet, [("ask", "M", "yes")])
        let resumed = try fleet.hsmsync(["ceremony", "run", file, "--inputs", inputs, "--resume"])
        #expect(resumed.status == 0, "\(resumed)")
        #expect(try Self.begins(fleet) == ["one": 1, "ask": 2, "two": 1, "sign": 1, "end": 1])
        let verify = try fleet.hsmsync(["log", "verify", fleet.directory.path("audit-log")])
        #expect(verify.status == 0, "\(verify)")
        let again = try fleet.hsmsync(["ceremony", "run", file, "--inputs", inputs, "--resume"])
        #expect(again.status == 2 && again.stderr.contains("no unfinished run"), "\(again)")
    }

    @Test(
        "fleet-check: a token whose serial is not the one the ceremony expects is refused by the plan (exit 2), named"
    )
    func fleetCheckWrongSerial() async throws {
        let fleet = try await Self.makeFleet()
        let file = fleet.directory.path("fc.yaml")
        try TestCeremony.script(
            "fc",
            steps: """
                  - id: check
                    title: Check the HSMs
                    by: M
                    action: fleet-check
                    with: {hsms: [{hsm: primary-1, serial: "0000000000000000"}], mechanisms: [CKM_AES_KEY_WRAP]}
                  - id: end
                    title: Close
                    by: M
                    action: close
                    with: {statement: Done.}
                """
        ).write(toFile: file, atomically: true, encoding: .utf8)
        let run = try fleet.hsmsync(["ceremony", "run", file, "--inputs", try Self.answers(fleet, [])])
        #expect(run.status == 2, "\(run)")
        #expect(run.stderr.contains("the plan cannot be carried out"), "\(run)")
        #expect(run.stderr.contains("step check: primary-1 has token serial"), "\(run)")
        #expect(run.stderr.contains("not 0000000000000000"), "\(run)")
        #expect(try Self.begins(fleet).isEmpty, "no step began")
    }

    @Test("--rehearse: throwaway tokens, a log of its own, the real fleet and its log untouched")
    func rehearsal() async throws {
        let fleet = try await Self.makeFleet()
        let file = fleet.directory.path("t.yaml")
        try Self.validScript.write(toFile: file, atomically: true, encoding: .utf8)
        let inputs = try Self.answers(fleet, [("ask", "M", "yes"), ("sign", "W", "W")])
        let before = try Data(contentsOf: URL(fileURLWithPath: fleet.directory.path("audit-log/entries.jsonl")))
        let rehearsalLog = fleet.directory.path("rehearsal-log")
        let run = try fleet.hsmsync([
            "ceremony", "run", file, "--inputs", inputs, "--rehearse", "--rehearsal-log", rehearsalLog,
        ])
        #expect(run.status == 0, "\(run)")
        #expect(run.stdout.contains("REHEARSAL"))
        let after = try Data(contentsOf: URL(fileURLWithPath: fleet.directory.path("audit-log/entries.jsonl")))
        #expect(before == after)
        let verify = try fleet.hsmsync(["log", "verify", rehearsalLog])
        #expect(verify.status == 0, "\(verify)")
        let open = try CeremonyLogReader.entries(logDirectory: rehearsalLog).first { $0.action == "ceremony.open" }
        #expect(open?.detail["rehearsal"] == .bool(true))
        let out = fleet.directory.path("rehearsal.md")
        let transcript = try fleet.hsmsync(["ceremony", "transcript", rehearsalLog, "--out", out])
        #expect(transcript.status == 0, "\(transcript)")
        #expect(try String(contentsOfFile: out, encoding: .utf8).contains("**REHEARSAL**"))
        // The real primary never got the key: a real run still plans it as free.
        let plan = try fleet.hsmsync(["ceremony", "plan", file])
        #expect(plan.status == 0 && plan.stdout.contains("✓ primary-1: \"KEYLABEL\" is free"), "\(plan)")
    }

    @Test(
        "interactive: confirmation, KCV and three shares typed at a hidden prompt on a real terminal, witness types her name",
        .enabled(if: ProcessInfo.processInfo.environment["HSMSYNC_SKIP_PYTHON"] != "1"))
    func interactive() async throws {
        let fleet = try await Self.makeFleet()
        let shares = fleet.directory.path("shares")
        try FileManager.default.createDirectory(atPath: shares, withIntermediateDirectories: true)
        let created = try fleet.hsmsync([
            "transport", "create", "--fleet", fleet.path, "--hsm", "primary-1", "--shares", "3", "--threshold", "2",
            "--out-dir", shares,
        ])
        #expect(created.status == 0, "\(created)")
        var words: [String] = []
        var kcv = ""
        for number in 1...3 {
            let text = try String(
                contentsOfFile: "\(shares)/transport-share-\(number)-of-3.txt", encoding: .utf8)
            var share: [String] = []
            for line in text.split(separator: "\n") {
                if line.hasPrefix("#") {
                    if let range = line.range(of: "key check value ") {
                        kcv = String(line[range.upperBound...].prefix(10))
                    }
                } else {
                    share.append(String(line))
                }
            }
            words.append(share.joined(separator: " "))
        }
        let script = TestCeremony.script(
            "restore-drill",
            steps: """
                  - {id: ready, title: Ready, by: M, action: confirm, with: {prompt: Is the room secured?}}
                  - {id: install, title: Install, by: M, action: transport-install, with: {hsm: dr-1, custodians: [A, B, C], kcv: prompt}}
                  - {id: verify, title: Verify, by: M, action: transport-verify, with: {hsms: [primary-1, dr-1]}}
                  - {id: sign, title: Sign, by: M, action: witness-sign-off, with: {witnesses: [W], statement: I saw it., method: typed}}
                  - {id: end, title: Close, by: M, action: close, with: {statement: Done.}}
                """)
        let file = fleet.directory.path("drill.yaml")
        try script.write(toFile: file, atomically: true, encoding: .utf8)
        let steps: [[String: Any]] = [
            ["expect": "Type yes to confirm: ", "send": "yes\n"],
            ["expect": "(10 hex digits): ", "send": kcv + "\n"],
            ["expect": "(share 1 of 3): type your share", "send": words[0] + "\n", "hidden": true],
            ["expect": "(share 2 of 3): type your share", "send": words[1] + "\n", "hidden": true],
            ["expect": "(share 3 of 3): type your share", "send": words[2] + "\n", "hidden": true],
            ["expect": "Type your name to sign: ", "send": "W\n"],
        ]
        let json = String(decoding: try JSONSerialization.data(withJSONObject: steps), as: UTF8.self)
        let result = try CommandRunner.run(
            URL(fileURLWithPath: "/usr/bin/env"),
            ["python3", Self.driver, json, "--", CommandRunner.hsmsync.path, "ceremony", "run", file],
            environment: SoftHSMFixture.shared.environment)
        #expect(result.status == 0, "\(result)")
        #expect(result.stdout.contains("ceremony restore-drill closed"))
        for share in words { #expect(!result.stdout.contains(share), "a share was echoed") }
        let entries = try CeremonyLogReader.entries(logDirectory: fleet.directory.path("audit-log"))
        let entered = entries.filter { $0.action == "ceremony.share.entered" }.compactMap(\.actorID)
        #expect(entered == ["A", "B", "C"])
        #expect(entries.contains { $0.action == "ceremony.signoff" && $0.actorID == "W" })
    }

    @Test(
        "rotate-transport-key: a wrong destruction confirmation destroys nothing; --resume rotates and destroys the old key"
    )
    func rotateTransportKey() async throws {
        let fleet = try await Self.makeFleet()
        let establishInputs = try Self.answers(fleet, Self.establishAnswers)
        let establish = try fleet.hsmsync([
            "ceremony", "run", Self.ceremonies.appendingPathComponent("establish-transport-key.yaml").path,
            "--fleet", fleet.path, "--inputs", establishInputs,
        ])
        #expect(establish.status == 0, "\(establish)")
        let rotated = fleet.directory.path("fleet-2027.yaml")
        try (try String(contentsOfFile: fleet.path, encoding: .utf8) + "transport:\n  label: hsmsync-transport-2027\n")
            .write(toFile: rotated, atomically: true, encoding: .utf8)
        let master = "Morgan (master of ceremonies)"
        let witness = "Harper (internal witness)"
        let inputs = try Self.answers(
            fleet,
            [
                ("backups-rewrapped", master, "yes"), ("destroy-old-primary", master, "hsmsync-transport"),
                ("destroy-old-primary", witness, "hsmsync-transport-2027"),
                ("destroy-old-dr", master, "hsmsync-transport"), ("destroy-old-dr", witness, "hsmsync-transport"),
                ("sign-off", witness, witness),
            ])
        let file = Self.ceremonies.appendingPathComponent("rotate-transport-key.yaml").path
        // Rehearsed first, on stand-ins for the old keys, with its own answers (its transport-create
        // writes share files, which the real run's must not find).
        let rehearsalInputs = fleet.directory.path("rehearsal-inputs")
        try FileManager.default.copyItem(atPath: inputs, toPath: rehearsalInputs)
        try "hsmsync-transport\n".write(
            toFile: rehearsalInputs + "/destroy-old-primary/\(witness).txt", atomically: true, encoding: .utf8)
        let rehearsed = try Self.rehearse(
            file, fleet: rotated, inputs: rehearsalInputs, log: fleet.directory.path("rehearsal-log"), in: fleet)
        #expect(rehearsed.status == 0, "\(rehearsed)")
        // The old transport key is an ordinary in-scope key under the new label: stood in for.
        #expect(
            rehearsed.stdout.contains("REHEARSAL: primary-1: 1 stand-in key(s) with fresh material"), "\(rehearsed)")
        #expect(rehearsed.stdout.contains("REHEARSAL: dr-1: 1 stand-in key(s) with fresh material"), "\(rehearsed)")
        let untouched = try fleet.hsmsync(["transport", "verify", "--fleet", fleet.path])
        #expect(untouched.status == 0, "the rehearsal destroyed nothing real: \(untouched)")
        let rehearsalVerified = try fleet.hsmsync(["log", "verify", fleet.directory.path("rehearsal-log")])
        #expect(rehearsalVerified.status == 0, "\(rehearsalVerified)")
        let first = try fleet.hsmsync(["ceremony", "run", file, "--fleet", rotated, "--inputs", inputs])
        #expect(first.status == 2, "\(first)")
        #expect(first.stderr.contains("stopped at step destroy-old-primary"), "\(first)")
        // The witness typed the wrong label: both HSMs still hold the old key.
        let old = try fleet.hsmsync(["transport", "verify", "--fleet", fleet.path])
        #expect(old.status == 0, "\(old)")
        _ = try Self.answers(fleet, [("destroy-old-primary", witness, "hsmsync-transport")])
        let resumed = try fleet.hsmsync(["ceremony", "run", file, "--fleet", rotated, "--inputs", inputs, "--resume"])
        #expect(resumed.status == 0, "\(resumed)")
        let gone = try fleet.hsmsync(["transport", "verify", "--fleet", fleet.path])
        #expect(gone.status != 0, "\(gone)")
        let new = try fleet.hsmsync(["transport", "verify", "--fleet", rotated])
        #expect(new.status == 0, "\(new)")
        let counts = try Self.begins(fleet)
        #expect(counts["create"] == 2 && counts["install-dr"] == 2)  // once in each ceremony
        #expect(counts["destroy-old-primary"] == 2 && counts["destroy-old-dr"] == 1 && counts["old-shares"] == 1)
        let verify = try fleet.hsmsync(["log", "verify", fleet.directory.path("audit-log")])
        #expect(verify.status == 0, "\(verify)")
    }

    @Test("witness sign-off by C2SP cosignature with the witness key named in roles; the log verifies")
    func cosignatureSignOff() async throws {
        let fleet = try await Self.makeFleet()
        let keys = fleet.directory.path("inputs/witness-keys")
        try FileManager.default.createDirectory(atPath: keys, withIntermediateDirectories: true)
        let keygen = try fleet.hsmsync(["log", "keygen", "--name", "W", "--out", keys + "/W.key", "--witness"])
        #expect(keygen.status == 0, "\(keygen)")
        let vkey = keygen.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let script = Self.validScript.replacingOccurrences(
            of: "witnesses: [{name: W}]", with: "witnesses: [{name: W, vkey: \"\(vkey)\"}]"
        )
        .replacingOccurrences(of: "method: typed", with: "method: cosignature")
        let file = fleet.directory.path("t.yaml")
        try script.write(toFile: file, atomically: true, encoding: .utf8)
        let inputs = try Self.answers(fleet, [("ask", "M", "yes")])
        let run = try fleet.hsmsync(["ceremony", "run", file, "--inputs", inputs])
        #expect(run.status == 0, "\(run)")
        let signOff = try CeremonyLogReader.entries(logDirectory: fleet.directory.path("audit-log"))
            .first { $0.action == "ceremony.signoff" }
        #expect(signOff?.actorID == "W")
        #expect(signOff?.outputs["cosignature"]?.stringValue?.hasPrefix("— W ") == true)
        let verify = try fleet.hsmsync(["log", "verify", fleet.directory.path("audit-log")])
        #expect(verify.status == 0, "\(verify)")
        let out = fleet.directory.path("transcript.md")
        let transcript = try fleet.hsmsync(["ceremony", "transcript", fleet.directory.path("audit-log"), "--out", out])
        #expect(transcript.status == 0, "\(transcript)")
        #expect(try String(contentsOfFile: out, encoding: .utf8).contains("cosigned by W"))
    }

    @Test(
        "--rehearse of the shipped establish-transport-key on throwaway tokens: every step once, its own log verifies, the real fleet and log untouched"
    )
    func rehearseEstablish() async throws {
        let fleet = try await Self.makeFleet()
        let inputs = try Self.answers(fleet, Self.establishAnswers)
        let before = try Data(contentsOf: URL(fileURLWithPath: fleet.directory.path("audit-log/entries.jsonl")))
        let rehearsalLog = fleet.directory.path("rehearsal-log")
        let file = Self.ceremonies.appendingPathComponent("establish-transport-key.yaml").path
        let run = try Self.rehearse(file, fleet: fleet.path, inputs: inputs, log: rehearsalLog, in: fleet)
        #expect(run.status == 0, "\(run)")
        #expect(
            try Self.begins(fleet, log: "rehearsal-log") == [
                "check-fleet": 1, "room-ready": 1, "create": 1, "install-dr": 1, "verify": 1, "sign-off": 1, "close": 1,
            ])
        let out = fleet.directory.path("rehearsal.md")
        let transcript = try fleet.hsmsync(["ceremony", "transcript", rehearsalLog, "--out", out])
        #expect(transcript.status == 0, "\(transcript)")
        #expect(try String(contentsOfFile: out, encoding: .utf8).contains("**REHEARSAL**"))
        let after = try Data(contentsOf: URL(fileURLWithPath: fleet.directory.path("audit-log/entries.jsonl")))
        #expect(before == after)
        let verify = try fleet.hsmsync(["log", "verify", rehearsalLog])
        #expect(verify.status == 0, "\(verify)")
        let plan = try fleet.hsmsync(["ceremony", "plan", file, "--fleet", fleet.path])
        #expect(plan.status == 0 && plan.stdout.contains("✓ primary-1: \"hsmsync-transport\" is free"), "\(plan)")
    }

    @Test("--rehearse with an answer file missing is refused (exit 2) before the real HSMs are read; no rehearsal log")
    func rehearsalPreflight() async throws {
        let fleet = try await Self.makeFleet()
        let inputs = try Self.answers(fleet, [])  // no sign-off answer
        let log = fleet.directory.path("rehearsal-log")
        let file = Self.ceremonies.appendingPathComponent("replicate-ca-keys.yaml").path
        let result = try Self.rehearse(file, fleet: fleet.path, inputs: inputs, log: log, in: fleet)
        #expect(result.status == 2, "\(result)")
        #expect(result.stderr.contains("sign-off"), "the missing answer is named: \(result)")
        #expect(!result.stdout.contains("REHEARSAL: throwaway tokens"), "\(result)")
        #expect(!FileManager.default.fileExists(atPath: log))
    }

    @Test(
        "replicate-ca-keys with a non-extractable CA key in scope: plan and run refuse (exit 2), the key named, nothing copied"
    )
    func replicateRefusesUnextractable() async throws {
        let (fleet, primary, dr) = try await Self.makeFleetAndTokens("rx")
        try await Self.plantCAKeys(primary)
        do {
            let session = try await SoftHSMFixture.shared.module().loggedInSession(primary)
            _ = try session.importTestAESKey(
                label: "ca-locked", id: [9], value: TestMaterial.aesKey(9), extractable: false, wrapWithTrusted: false)
        }
        let agreed = try fleet.hsmsync([
            "transport", "agree", "--fleet", fleet.path, "--from", "primary-1", "--to", "dr-1",
        ])
        #expect(agreed.status == 0, "\(agreed)")
        let drBefore = try await SoftHSMFixture.shared.module().loggedInSession(dr).findObjects().count
        let file = Self.ceremonies.appendingPathComponent("replicate-ca-keys.yaml").path
        let plan = try fleet.hsmsync(["ceremony", "plan", file, "--fleet", fleet.path])
        #expect(plan.status == 2, "\(plan)")
        #expect(plan.stderr.contains("secret-key \"ca-locked\" on primary-1 is not extractable"), "\(plan)")
        let inputs = try Self.answers(fleet, [("sign-off", "Harper (internal witness)", "Harper (internal witness)")])
        let run = try fleet.hsmsync(["ceremony", "run", file, "--fleet", fleet.path, "--inputs", inputs])
        #expect(run.status == 2, "\(run)")
        #expect(run.stderr.contains("is not extractable"), "\(run)")
        #expect(try Self.begins(fleet).isEmpty, "no step began")
        let drAfter = try await SoftHSMFixture.shared.module().loggedInSession(dr).findObjects().count
        #expect(drAfter == drBefore, "nothing was copied to dr-1")
    }

    @Test("replicate-ca-keys before any transport key exists: the plan refuses (exit 2), naming both HSMs")
    func replicateNeedsTransportKeys() async throws {
        let (fleet, primary, _) = try await Self.makeFleetAndTokens("rn")
        try await Self.plantCAKeys(primary)
        let file = Self.ceremonies.appendingPathComponent("replicate-ca-keys.yaml").path
        let plan = try fleet.hsmsync(["ceremony", "plan", file, "--fleet", fleet.path])
        #expect(plan.status == 2, "\(plan)")
        #expect(plan.stderr.contains("primary-1 will hold 0 transport key(s), not 1"), "\(plan)")
        #expect(plan.stderr.contains("dr-1 will hold 0 transport key(s), not 1"), "\(plan)")
    }

    /// The shipped replicate-ca-keys, non-interactively, on tokens holding the same transport key and
    /// CA keys on primary-1 only (imported without CKA_WRAP_WITH_TRUSTED: SoftHSM2's transport key
    /// cannot be CKA_TRUSTED).
    @Test("replicate-ca-keys: the CA keys arrive on dr-1 (fingerprints, parity), the log verifies")
    func replicateCAKeys() async throws {
        let (fleet, primary, _) = try await Self.makeFleetAndTokens("r")
        try await Self.plantCAKeys(primary)
        // A policy-conforming transport key on both (transport-verify is strict).
        let agreed = try fleet.hsmsync([
            "transport", "agree", "--fleet", fleet.path, "--from", "primary-1", "--to", "dr-1",
        ])
        #expect(agreed.status == 0, "\(agreed)")
        let before = try fleet.hsmsync(["audit", "--fleet", fleet.path, "--json"])
        #expect(before.status == 1, "dr-1 lacks the CA keys before the ceremony: \(before)")

        let inputs = try Self.answers(fleet, [("sign-off", "Harper (internal witness)", "Harper (internal witness)")])
        let file = Self.ceremonies.appendingPathComponent("replicate-ca-keys.yaml").path
        let plan = try fleet.hsmsync(["ceremony", "plan", file, "--fleet", fleet.path])
        #expect(plan.status == 0, "\(plan)")
        #expect(plan.stdout.contains("✓ primary-1: secret-key \"ca-aes\""), "\(plan)")
        #expect(plan.stdout.contains("✓ dr-1: transport key"), "\(plan)")
        let rehearsed = try Self.rehearse(
            file, fleet: fleet.path, inputs: inputs, log: fleet.directory.path("rehearsal-log"), in: fleet)
        #expect(rehearsed.status == 0, "rehearsed on stand-ins of the CA keys: \(rehearsed)")
        #expect(
            rehearsed.stdout.contains(
                "REHEARSAL: primary-1: 2 stand-in key(s) with fresh material, a stand-in transport key"),
            "\(rehearsed)")
        let rehearsedStep = try #require(
            try CeremonyLogReader.entries(logDirectory: fleet.directory.path("rehearsal-log")).first {
                $0.action == "ceremony.step" && $0.step == "replicate" && $0.result == "ok"
            })
        #expect(
            "\(rehearsedStep.outputs["copied"] ?? .null)".contains("ca-aes")
                && "\(rehearsedStep.outputs["copied"] ?? .null)".contains("ca-issuing"),
            "the stand-ins were copied in the rehearsal: \(rehearsedStep.outputs)")
        let stillDrift = try fleet.hsmsync(["audit", "--fleet", fleet.path, "--json"])
        #expect(stillDrift.status == 1, "the rehearsal copied nothing real: \(stillDrift)")
        let rehearsalVerified = try fleet.hsmsync(["log", "verify", fleet.directory.path("rehearsal-log")])
        #expect(rehearsalVerified.status == 0, "\(rehearsalVerified)")
        let run = try fleet.hsmsync(["ceremony", "run", file, "--fleet", fleet.path, "--inputs", inputs])
        #expect(run.status == 0, "\(run)")
        #expect(
            try Self.begins(fleet) == [
                "check-fleet": 1, "verify-transport": 1, "replicate": 1, "audit": 1, "sign-off": 1, "close": 1,
            ])

        // Parity, every key's material compared (fingerprints), through hsmsync audit.
        let audit = try fleet.hsmsync(["audit", "--fleet", fleet.path, "--json"])
        #expect(audit.status == 0, "\(audit)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(audit.stdout.utf8)) as? [String: Any])
        #expect(json["status"] as? String == "parity")
        #expect((json["notCompared"] as? [Any])?.isEmpty == true, "every key's material was compared")
        let hsms = try #require(json["hsms"] as? [[String: Any]])
        #expect(hsms.map { $0["keysInScope"] as? Int } == [3, 3])

        // The step's outputs: what was copied, with fingerprints; nothing skipped, no conflict.
        let entries = try CeremonyLogReader.entries(logDirectory: fleet.directory.path("audit-log"))
        let step = try #require(
            entries.first { $0.action == "ceremony.step" && $0.step == "replicate" && $0.result == "ok" })
        let text = "\(step.outputs)"
        #expect(text.contains("ca-aes") && text.contains("ca-issuing") && text.contains("fingerprint"), "\(text)")
        #expect(step.outputs["skipped"] == .array([]) && step.outputs["conflicts"] == .array([]), "\(text)")
        #expect(entries.contains { $0.action == "replicate.commit" })
        let verify = try fleet.hsmsync(["log", "verify", fleet.directory.path("audit-log")])
        #expect(verify.status == 0, "\(verify)")

        // Run again: the plan is accepted (keys still on the source), nothing left to copy, still in parity.
        let again = try fleet.hsmsync(["ceremony", "run", file, "--fleet", fleet.path, "--inputs", inputs])
        #expect(again.status == 0, "\(again)")
    }

    static let generateAndReplicate = TestCeremony.script(
        "gr",
        steps: """
              - id: agree
                title: Transport key by ECDH
                by: M
                action: transport-agree
                with: {from: primary-1, to: dr-1}
              - id: gen
                title: A CA key on the primary
                by: M
                action: generate-key
                with:
                  hsm: primary-1
                  label: ca-gen
                  id: "07"
                  type: aes
                  size: 256
                  attributes: {sensitive: true, extractable: true, wrap-with-trusted: false, modifiable: true, sign: true, verify: true, encrypt: false, decrypt: false, wrap: false, unwrap: false, derive: false}
              - id: other
                title: A key outside the scope
                by: M
                action: generate-key
                with:
                  hsm: primary-1
                  label: web-gen
                  id: "08"
                  type: aes
                  size: 256
                  attributes: {sensitive: true, extractable: true, wrap-with-trusted: false, modifiable: true, sign: true, verify: true, encrypt: false, decrypt: false, wrap: false, unwrap: false, derive: false}
              - id: copy
                title: Replicate
                by: M
                action: replicate
                with: {from: primary-1, to: [dr-1], scope: {include: ["ca-*"], exclude: []}}
              - id: end
                title: Close
                by: M
                action: close
                with: {statement: Done.}
            """)

    @Test(
        "a ceremony that makes its keys then replicates them: rehearsal on throwaway tokens, then for real (scope honoured)"
    )
    func generateThenReplicate() async throws {
        let fleet = try await Self.makeFleet()
        let file = fleet.directory.path("gr.yaml")
        try Self.generateAndReplicate.write(toFile: file, atomically: true, encoding: .utf8)
        let inputs = try Self.answers(fleet, [])
        let rehearsalLog = fleet.directory.path("rehearsal-log")
        let rehearsal = try fleet.hsmsync([
            "ceremony", "run", file, "--inputs", inputs, "--rehearse", "--rehearsal-log", rehearsalLog,
        ])
        #expect(rehearsal.status == 0, "\(rehearsal)")
        #expect(rehearsal.stdout.contains("REHEARSAL"))
        #expect(
            try Self.begins(fleet, log: "rehearsal-log") == ["agree": 1, "gen": 1, "other": 1, "copy": 1, "end": 1])
        let rehearsed = try fleet.hsmsync(["log", "verify", rehearsalLog])
        #expect(rehearsed.status == 0, "\(rehearsed)")

        let run = try fleet.hsmsync(["ceremony", "run", file, "--inputs", inputs])
        #expect(run.status == 0, "\(run)")
        let verify = try fleet.hsmsync(["log", "verify", fleet.directory.path("audit-log")])
        #expect(verify.status == 0, "\(verify)")
        // ca-gen is on dr-1 in parity; web-gen (outside the step's scope) is not: exactly one missing finding.
        let audit = try fleet.hsmsync(["audit", "--fleet", fleet.path, "--json"])
        let json = try #require(try JSONSerialization.jsonObject(with: Data(audit.stdout.utf8)) as? [String: Any])
        // (policy findings: the keys have no CKA_WRAP_WITH_TRUSTED, as on SoftHSM2 they must not.)
        let findings = try #require(json["findings"] as? [[String: Any]]).filter { $0["kind"] as? String != "policy" }
        let labels = findings.compactMap { ($0["key"] as? [String: Any])?["label"] as? String }
        #expect(labels.contains("web-gen") && !labels.contains("ca-gen"), "\(audit)")
        #expect(findings.allSatisfy { ($0["key"] as? [String: Any])?["label"] as? String == "web-gen" }, "\(audit)")
    }
}
