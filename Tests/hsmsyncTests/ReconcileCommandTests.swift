import Foundation
import Glibc
import HSMSyncCore
import HSMSyncModel
import HSMSyncTesting
import PKCS11
import SecureMemory
import SignedLog
import Testing

/// `hsmsync reconcile` on real SoftHSM2 tokens, through the binary: plan, apply, parity, idempotence,
/// and the bad-input and security cases of issue 5 that concern reconcile.
@Suite("hsmsync reconcile (SoftHSM2)")
struct ReconcileCommandTests {
    static func json(_ result: ProcessResult) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], "\(result)")
    }

    static func on(_ token: TestToken, _ body: (borrowing Session) throws -> Void) async throws {
        let session = try await SoftHSMFixture.shared.module().loggedInSession(token)
        try body(session)
    }

    static func objectCount(_ token: TestToken) async throws -> Int {
        let session = try await SoftHSMFixture.shared.module().loggedInSession(token)
        return try session.findObjects().count
    }

    /// The primary's keys: an AES key, an EC pair and an RSA pair, all extractable, none with
    /// CKA_WRAP_WITH_TRUSTED (the common deployed case), plus a non-extractable AES key.
    static func fillPrimary(_ session: borrowing Session) throws {
        try session.installTestTransportKey()
        try session.importTestAESKey(label: "aes-1", id: [1], value: TestMaterial.aesKey(1), wrapWithTrusted: false)
        try session.importTestECPair(
            label: "ec-1", id: [2], key: TestMaterial.ecKey(2), extractable: true,
            privateExtra: [.bool(.wrapWithTrusted, false)])
        _ = try session.generateKeyPair(
            .rsaKeyPairGen,
            publicKeyTemplate: [
                .bool(.token, true), .label("rsa-1"), .id([3]), .ulong(.modulusBits, 2048),
                .bytes(.publicExponent, [1, 0, 1]), .bool(.verify, true), .bool(.encrypt, false),
                .bool(.wrap, false), .bool(.verifyRecover, false), .bool(.derive, false), .bool(.private, false),
            ],
            privateKeyTemplate: [
                .bool(.token, true), .label("rsa-1"), .id([3]), .bool(.private, true), .bool(.sensitive, true),
                .bool(.extractable, true), .bool(.wrapWithTrusted, false), .bool(.sign, true),
                .bool(.decrypt, false), .bool(.unwrap, false), .bool(.signRecover, false), .bool(.derive, false),
            ])
    }

    /// primary-1 (primary) on `primary` and dr-1 (secondary) on `dr`, with `extra` appended to the fleet file.
    static func primaryAndDR(_ primary: TestToken, _ dr: TestToken, extra: String = "") throws -> TestFleet {
        try TestFleet(
            members: [
                .init("primary-1", role: "primary", token: primary), .init("dr-1", role: "secondary", token: dr),
            ], extra: extra)
    }

    /// The test transport key and `aes-1` (ID 01) with `TestMaterial.aesKey(seed)`.
    static func plantAES1(_ session: borrowing Session, seed: UInt8 = 1, wrapWithTrusted: Bool = false) throws {
        try session.installTestTransportKey()
        _ = try session.importTestAESKey(
            label: "aes-1", id: [1], value: TestMaterial.aesKey(seed), wrapWithTrusted: wrapWithTrusted)
    }

    static func transportTemplate(_ changed: Attribute? = nil) -> [Attribute] {
        var template: [Attribute] = [
            .class(.secretKey), .keyType(.aes), .bool(.token, true), .bool(.private, true),
            .label("hsmsync-transport"), .bool(.wrap, true), .bool(.unwrap, true), .bool(.encrypt, false),
            .bool(.decrypt, false), .bool(.sign, false), .bool(.verify, false), .bool(.derive, false),
            .bool(.extractable, false), .bool(.sensitive, true), .bool(.copyable, false), .bool(.modifiable, false),
        ]
        if let changed {
            template.removeAll { $0.type == changed.type }
            template.insert(changed, at: 5)
        }
        return template
    }

    @Test(
        "Plan changes nothing; apply copies AES, EC and RSA keys; audit then finds parity; a second apply changes nothing"
    )
    func planApplyParityIdempotent() async throws {
        let primary = try await SoftHSMFixture.shared.makeToken("rc-p")
        let dr = try await SoftHSMFixture.shared.makeToken("rc-d")
        try await Self.on(primary) { try Self.fillPrimary($0) }
        try await Self.on(primary) { session in
            try session.importTestAESKey(label: "locked", id: [9], value: TestMaterial.aesKey(9), extractable: false)
        }
        try await Self.on(dr) { try $0.installTestTransportKey() }
        let directory = try TemporaryDirectory(prefix: "rc-log")
        let origin = "reconcile.example/hsmsync/0123456789abcdef0123456789abcdef"
        let created = try CommandRunner.hsmsync(
            ["log", "init", directory.path("log"), "--origin", origin, "--key", directory.path("log.key")])
        #expect(created.status == 0, "\(created)")
        let fleet = try Self.primaryAndDR(
            primary, dr, extra: "log:\n  dir: \(directory.path("log"))\n  key: file:\(directory.path("log.key"))\n")

        let before = try await Self.objectCount(dr)
        let plan = try fleet.hsmsync(["reconcile", "--fleet", fleet.path, "--json"])
        #expect(plan.status == 1, "\(plan)")
        let planJSON = try Self.json(plan)
        #expect(planJSON["applied"] as? Bool == false)
        #expect((planJSON["planned"] as? [Any])?.count == 3, "AES, EC pair, RSA pair")
        let skipped = try #require(planJSON["skipped"] as? [[String: Any]])
        #expect(skipped.map { $0["reason"] as? String } == ["unsyncable"])
        #expect(try await Self.objectCount(dr) == before, "plan-only changed the destination")
        let human = try fleet.hsmsync(["reconcile", "--fleet", fleet.path])
        #expect(human.stdout.contains("primary-1 → dr-1") && human.stdout.contains("skip (unsyncable)"), "\(human)")

        let applied = try fleet.hsmsync(["reconcile", "--fleet", fleet.path, "--apply", "--json"])
        #expect(applied.status == 1, "the unsyncable key remains: \(applied)")
        let appliedJSON = try Self.json(applied)
        let copied = try #require(appliedJSON["copied"] as? [[String: Any]])
        #expect(copied.count == 3, "\(applied)")
        #expect((appliedJSON["failures"] as? [Any])?.isEmpty == true, "\(applied)")
        #expect((appliedJSON["policy"] as? [Any])?.isEmpty == false, "keys without WRAP_WITH_TRUSTED are reported")
        #expect(try await Self.objectCount(dr) == before + 5)

        let audit = try fleet.hsmsync(["audit", "--fleet", fleet.path, "--json"])
        let findings = try #require(try Self.json(audit)["findings"] as? [[String: Any]])
        let kinds = Set(findings.map { "\($0["kind"]!) \(($0["key"] as? [String: Any])?["label"] ?? "-")" })
        #expect(Set(kinds.filter { !$0.hasPrefix("policy") }) == ["missing locked", "unsyncable locked"], "\(kinds)")

        let again = try fleet.hsmsync(["reconcile", "--fleet", fleet.path, "--apply", "--json"])
        #expect(again.status == 1)
        #expect((try Self.json(again)["copied"] as? [Any])?.isEmpty == true, "\(again)")
        #expect(try await Self.objectCount(dr) == before + 5, "a second apply changed something")

        // Every step is in the signed log, and the log verifies.
        let entries = try String(contentsOfFile: directory.path("log/entries.jsonl"), encoding: .utf8)
        for action in [
            "replicate.plan", "replicate.intent", "replicate.wrap", "replicate.stage", "replicate.verify",
            "replicate.promote", "replicate.commit",
        ] {
            #expect(entries.contains("\"\(action)\""), "\(action)")
        }
        #expect(entries.components(separatedBy: "\"replicate.commit\"").count - 1 == 3)
        let verified = try CommandRunner.hsmsync(["log", "verify", directory.path("log")])
        #expect(verified.status == 0, "\(verified)")
    }

    @Test(
        "Recovery waits for the log to be open, and then acts on nothing the signed log did not announce"
    )
    func recoveryWaitsForTheLog() async throws {
        let primary = try await SoftHSMFixture.shared.makeToken("rr-p")
        let dr = try await SoftHSMFixture.shared.makeToken("rr-d")
        try await Self.on(primary) { try Self.plantAES1($0) }
        // The copy's material under the copy's identity, with an attribute the source does not have:
        // what an interrupted promotion could leave, or dr-1's own hardened copy.
        try await Self.on(dr) { try Self.plantAES1($0, wrapWithTrusted: true) }
        let directory = try TemporaryDirectory(prefix: "rr-log")
        let fleet = try Self.primaryAndDR(
            primary, dr, extra: "log:\n  dir: \(directory.path("log"))\n  key: file:\(directory.path("log.key"))\n")
        // A journal line claiming one copy was under way: the signed log never announced it.
        let state = fleet.directory.path("hsmsync-state")
        try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: true)
        let intent =
            #"{"batch":"b-1","operations":[{"anonymousObjectsBefore":1,"destination":"dr-1","#
            + #""fingerprint":{"unavailable":"not read"},"key":{"id":"01","label":"aes-1","objectClass":"secret-key"},"#
            + #""op":"op-1","source":"primary-1"}],"type":"intent"}"# + "\n"
        try Data(intent.utf8).write(to: URL(fileURLWithPath: state + "/journal.jsonl"))
        let before = try await Self.objectCount(dr)

        // The fleet's log does not exist yet: refused before any HSM is touched.
        let refused = try fleet.hsmsync(["reconcile", "--fleet", fleet.path, "--apply", "--json"])
        #expect(refused.status == 2, "\(refused)")
        #expect(refused.stderr.contains("does not exist yet"), "refused for the missing log: \(refused)")
        #expect(try await Self.objectCount(dr) == before, "recovery destroyed an object with no log open")
        let journal = try String(contentsOfFile: state + "/journal.jsonl", encoding: .utf8)
        #expect(journal == intent, "the refused run decided nothing: \(journal)")

        let created = try CommandRunner.hsmsync(
            [
                "log", "init", directory.path("log"), "--origin", "recovery.example/hsmsync/1", "--key",
                directory.path("log.key"),
            ])
        #expect(created.status == 0, "\(created)")
        let applied = try fleet.hsmsync(["reconcile", "--fleet", fleet.path, "--apply", "--json"])
        #expect(applied.status == 1, "dr-1's copy still differs by CKA_WRAP_WITH_TRUSTED: \(applied)")
        let json = try Self.json(applied)
        let recovered = try #require(json["recovered"] as? [[String: Any]], "\(applied)")
        #expect(recovered.map { $0["outcome"] as? String } == ["not-started"], "\(recovered)")
        #expect((json["copied"] as? [Any])?.isEmpty == true, "nothing is copied over dr-1's key: \(applied)")
        #expect(try await Self.objectCount(dr) == before)

        let entries = try String(contentsOfFile: directory.path("log/entries.jsonl"), encoding: .utf8)
        #expect(!entries.contains("\"destroying\""), "recovery destroyed something")
        #expect(entries.contains("\"outcome\":\"not-started\""))
        let verified = try CommandRunner.hsmsync(["log", "verify", directory.path("log")])
        #expect(verified.status == 0, "\(verified)")
        let journalAfter = try String(contentsOfFile: state + "/journal.jsonl", encoding: .utf8)
        #expect(journalAfter.isEmpty, "the decided intent is no longer pending: \(journalAfter)")
    }

    @Test(
        "Roles: a key only on a member reaches the primary and the secondary; a key only on the secondary is extra, left alone"
    )
    func roleSemantics() async throws {
        let primary = try await SoftHSMFixture.shared.makeToken("rc-rp")
        let member = try await SoftHSMFixture.shared.makeToken("rc-rm")
        let dr = try await SoftHSMFixture.shared.makeToken("rc-rd")
        try await Self.on(primary) { try $0.installTestTransportKey() }
        try await Self.on(member) { session in
            try session.installTestTransportKey()
            _ = try session.importTestAESKey(
                label: "member-key", id: [7], value: TestMaterial.aesKey(7), wrapWithTrusted: false)
        }
        try await Self.on(dr) { session in
            try session.installTestTransportKey()
            _ = try session.importTestAESKey(
                label: "dr-only", id: [8], value: TestMaterial.aesKey(8), wrapWithTrusted: false)
        }
        let fleet = try TestFleet(members: [
            .init("primary-1", role: "primary", token: primary), .init("member-1", role: "member", token: member),
            .init("dr-1", role: "secondary", token: dr),
        ])
        let result = try fleet.hsmsync(["reconcile", "--fleet", fleet.path, "--apply", "--json"])
        let copied = try #require(try Self.json(result)["copied"] as? [[String: Any]], "\(result)")
        let routes = copied.map { "\($0["source"] ?? "?")→\($0["destination"] ?? "?")" }.sorted()
        #expect(routes == ["member-1→dr-1", "member-1→primary-1"], "\(result)")
        // The secondary's own key went nowhere and is still there; nothing was deleted anywhere.
        #expect(try await Self.objectCount(primary) == 2)
        #expect(try await Self.objectCount(member) == 2)
        #expect(try await Self.objectCount(dr) == 3)
        let audit = try fleet.hsmsync(["audit", "--fleet", fleet.path, "--json"])
        #expect(audit.status == 1, "the secondary's own key is drift: \(audit)")
        let findings = try #require(try Self.json(audit)["findings"] as? [[String: Any]])
            .filter { $0["kind"] as? String != "policy" }
        #expect(findings.count == 1 && findings.first?["kind"] as? String == "extra", "\(findings)")
        #expect("\(findings)".contains("dr-only"), "\(findings)")
    }

    @Test(
        "Two objects under one identity on the source, or a source transport key that may decrypt: nothing copied, the reason named"
    )
    func unusableSource() async throws {
        for problem in ["duplicate", "source-transport"] {
            let primary = try await SoftHSMFixture.shared.makeToken("rc-u\(problem.prefix(1))p")
            let dr = try await SoftHSMFixture.shared.makeToken("rc-u\(problem.prefix(1))d")
            try await Self.on(primary) { session in
                _ = try session.createObject(
                    Self.transportTemplate(problem == "source-transport" ? .bool(.decrypt, true) : nil),
                    secretValue: SecretBytes(copying: TestMaterial.transportKey))
                _ = try session.importTestAESKey(
                    label: "aes-1", id: [1], value: TestMaterial.aesKey(1), wrapWithTrusted: false)
                if problem == "duplicate" {
                    _ = try session.importTestAESKey(
                        label: "aes-1", id: [1], value: TestMaterial.aesKey(2), wrapWithTrusted: false)
                }
            }
            try await Self.on(dr) { try $0.installTestTransportKey() }
            let fleet = try Self.primaryAndDR(primary, dr)
            let result = try fleet.hsmsync(["reconcile", "--fleet", fleet.path, "--apply", "--json"])
            #expect(result.status == 1, "\(problem): \(result)")
            let json = try Self.json(result)
            #expect((json["copied"] as? [Any])?.isEmpty == true, "\(problem): \(result)")
            let skipped = try #require(json["skipped"] as? [[String: Any]])
            let expected = problem == "duplicate" ? "duplicate" : "transport"
            #expect(
                !skipped.isEmpty && skipped.allSatisfy { $0["reason"] as? String == expected }, "\(problem): \(skipped)"
            )
            if problem == "source-transport" {
                #expect("\(skipped)".contains("primary-1") && "\(skipped)".contains("decrypt"), "\(skipped)")
            }
            #expect(try await Self.objectCount(dr) == 1, "\(problem): only dr-1's transport key")
        }
    }

    @Test(
        "T11: an Ed25519 pair SoftHSM2 cannot wrap is skipped as unsupported, named; the other keys are copied; exit 1")
    func edwardsSkipped() async throws {
        let primary = try await SoftHSMFixture.shared.makeToken("rc-ep")
        let dr = try await SoftHSMFixture.shared.makeToken("rc-ed")
        try await Self.on(primary) { session in
            try Self.fillPrimary(session)
            _ = try session.generateKeyPair(
                .ecEdwardsKeyPairGen,
                publicKeyTemplate: [
                    .bytes(.ecParams, [0x06, 0x03, 0x2b, 0x65, 0x70]), .bool(.token, true), .label("ed-1"), .id([4]),
                    .bool(.verify, true),
                ],
                privateKeyTemplate: [
                    .bool(.token, true), .label("ed-1"), .id([4]), .bool(.private, true), .bool(.sensitive, true),
                    .bool(.extractable, true), .bool(.wrapWithTrusted, false), .bool(.sign, true),
                ])
        }
        try await Self.on(dr) { try $0.installTestTransportKey() }
        let fleet = try Self.primaryAndDR(primary, dr)
        let result = try fleet.hsmsync(["reconcile", "--fleet", fleet.path, "--apply", "--json"])
        #expect(result.status == 1, "the Ed25519 pair is still missing: \(result)")
        let json = try Self.json(result)
        #expect((json["copied"] as? [Any])?.count == 3, "AES, EC and RSA still copied: \(result)")
        let skipped = try #require(json["skipped"] as? [[String: Any]])
        let edwards = skipped.filter { ($0["key"] as? [String: Any])?["label"] as? String == "ed-1" }
        #expect(!edwards.isEmpty && edwards.allSatisfy { $0["reason"] as? String == "unsupported" }, "\(skipped)")
        #expect((json["failures"] as? [Any])?.isEmpty == true, "\(result)")
    }

    @Test(
        "Two different keys under one identity (material-mismatch): never copied over, reported as a conflict, exit 1")
    func conflictLeftAlone() async throws {
        let primary = try await SoftHSMFixture.shared.makeToken("rc-cp")
        let dr = try await SoftHSMFixture.shared.makeToken("rc-cd")
        try await Self.on(primary) { try Self.plantAES1($0) }
        try await Self.on(dr) { try Self.plantAES1($0, seed: 2) }
        let fleet = try Self.primaryAndDR(primary, dr)
        func drFingerprint() throws -> String? {
            let inventory = try fleet.hsmsync(["inventory", "--fleet", fleet.path, "--hsm", "dr-1", "--json"])
            let hsm = (try Self.json(inventory)["hsms"] as? [[String: Any]])?.first
            let key = (hsm?["objects"] as? [[String: Any]] ?? []).first { $0["label"] as? String == "aes-1" }
            return (key?["fingerprint"] as? [String: Any])?["sha256"] as? String
        }
        let own = try #require(try drFingerprint())
        let result = try fleet.hsmsync(["reconcile", "--fleet", fleet.path, "--apply", "--json"])
        #expect(result.status == 1, "\(result)")
        let json = try Self.json(result)
        #expect((json["copied"] as? [Any])?.isEmpty == true, "\(result)")
        let conflicts = try #require(json["conflicts"] as? [[String: Any]])
        #expect(conflicts.count == 1 && conflicts.first?["kind"] as? String == "material-mismatch", "\(conflicts)")
        #expect(try drFingerprint() == own, "dr-1 still holds its own aes-1")
        #expect(try await Self.objectCount(dr) == 2)
    }

    @Test("A fleet already in parity: exit 0, nothing planned")
    func parity() async throws {
        let primary = try await SoftHSMFixture.shared.makeToken("rc-pp")
        let dr = try await SoftHSMFixture.shared.makeToken("rc-pd")
        for token in [primary, dr] {
            try await Self.on(token) { session in
                try session.installTestTransportKey()
                try session.importTestAESKey(label: "aes-1", id: [1], value: TestMaterial.aesKey(1))
            }
        }
        let fleet = try Self.primaryAndDR(primary, dr)
        let result = try fleet.hsmsync(["reconcile", "--fleet", fleet.path, "--apply", "--json"])
        #expect(result.status == 0, "\(result)")
        #expect(try Self.json(result)["status"] as? String == "parity")
    }

    @Test(
        "A destination transport key that may decrypt, encrypt, sign or be modified, or a second object with the label, is refused before any wrap, named",
        arguments: ["decrypt", "encrypt", "sign", "modifiable", "second-object"])
    func badTransportKey(problem: String) async throws {
        let primary = try await SoftHSMFixture.shared.makeToken("rc-tp")
        let dr = try await SoftHSMFixture.shared.makeToken("rc-td")
        try await Self.on(primary) { try Self.fillPrimary($0) }
        try await Self.on(dr) { session in
            let changed: Attribute? =
                switch problem {
                case "decrypt": .bool(.decrypt, true)
                case "encrypt": .bool(.encrypt, true)
                case "sign": .bool(.sign, true)
                case "modifiable": .bool(.modifiable, true)
                default: nil
                }
            _ = try session.createObject(
                Self.transportTemplate(changed), secretValue: SecretBytes(copying: TestMaterial.transportKey))
            if problem == "second-object" {
                _ = try session.createObject([
                    .class(.data), .bool(.token, true), .label("hsmsync-transport"), .bytes(.value, [1]),
                ])
            }
        }
        let fleet = try Self.primaryAndDR(primary, dr, extra: TestFleet.fileKeyLog)
        let created = try fleet.initializeLog(origin: "test.example/rc-t")
        #expect(created.status == 0, "\(created)")
        let before = try await Self.objectCount(dr)
        let result = try fleet.hsmsync(["reconcile", "--fleet", fleet.path, "--apply", "--json"])
        #expect(result.status == 1, "\(result)")
        let json = try Self.json(result)
        #expect((json["copied"] as? [Any])?.isEmpty == true)
        let skipped = try #require(json["skipped"] as? [[String: Any]])
        #expect(!skipped.isEmpty && skipped.allSatisfy { $0["reason"] as? String == "transport" }, "\(skipped)")
        let word = problem == "second-object" ? "2 objects carry the transport label" : problem
        #expect(skipped.allSatisfy { ($0["detail"] as? String ?? "").contains(word) }, "\(skipped)")
        #expect(try await Self.objectCount(dr) == before)
        // The refusal's reason is in the signed log, once.
        let plan = try #require(
            try CeremonyLogReader.entries(logDirectory: fleet.directory.path("audit-log"))
                .first { $0.action == "replicate.plan" })
        guard case .array(let refused) = plan.outputs["transportRefused"] else {
            Issue.record("no transportRefused in \(plan.outputs)")
            return
        }
        #expect(refused.count == 1 && "\(refused)".contains(word), "\(refused)")
        let human = try fleet.hsmsync(["reconcile", "--fleet", fleet.path])
        #expect(human.stdout.contains("dr-1's transport key") && human.stdout.contains(word), "\(human)")
    }

    @Test("A destination transport key with another value is detected by check value; nothing is wrapped")
    func differingTransportKey() async throws {
        let primary = try await SoftHSMFixture.shared.makeToken("rc-dp")
        let dr = try await SoftHSMFixture.shared.makeToken("rc-dd")
        try await Self.on(primary) { try Self.fillPrimary($0) }
        try await Self.on(dr) { try $0.installTestTransportKey(TestMaterial.otherTransportKey) }
        let fleet = try Self.primaryAndDR(primary, dr)
        let before = try await Self.objectCount(dr)
        let result = try fleet.hsmsync(["reconcile", "--fleet", fleet.path, "--apply", "--json"])
        #expect(result.status == 1, "\(result)")
        let skipped = try #require(try Self.json(result)["skipped"] as? [[String: Any]])
        #expect(
            !skipped.isEmpty
                && skipped.allSatisfy {
                    $0["reason"] as? String == "transport" && ($0["detail"] as? String ?? "").contains("check value")
                }, "\(skipped)")
        #expect(try await Self.objectCount(dr) == before)
    }

    @Test("A wrong PIN on one HSM: that HSM is reported, the others are still reconciled, exit 3")
    func wrongPIN() async throws {
        let primary = try await SoftHSMFixture.shared.makeToken("rc-wp")
        let dr = try await SoftHSMFixture.shared.makeToken("rc-wd")
        let member = try await SoftHSMFixture.shared.makeToken("rc-wm")
        try await Self.on(primary) { try Self.fillPrimary($0) }
        try await Self.on(dr) { try $0.installTestTransportKey() }
        try await Self.on(member) { try $0.installTestTransportKey() }
        var bad = TestFleet.Member("dr-1", role: "secondary", token: dr)
        bad.pin = "9999"
        let fleet = try TestFleet(members: [
            .init("primary-1", role: "primary", token: primary), bad, .init("member-1", role: "member", token: member),
        ])
        let before = try await Self.objectCount(member)
        let result = try fleet.hsmsync(["reconcile", "--fleet", fleet.path, "--apply", "--json"])
        #expect(result.status == 3, "\(result)")
        let json = try Self.json(result)
        let failures = try #require(json["failures"] as? [[String: Any]])
        #expect(failures.map { $0["hsm"] as? String } == ["dr-1"], "\(failures)")
        #expect(!result.stdout.contains("9999") && !result.stderr.contains("9999"))
        #expect((json["copied"] as? [[String: Any]])?.allSatisfy { $0["destination"] as? String == "member-1" } == true)
        #expect((json["copied"] as? [Any])?.count == 3)
        #expect(try await Self.objectCount(member) == before + 5)
    }

    @Test("policy requireWrapWithTrusted refuses keys without CKA_WRAP_WITH_TRUSTED; nothing is wrapped")
    func requireWrapWithTrusted() async throws {
        let primary = try await SoftHSMFixture.shared.makeToken("rc-yp")
        let dr = try await SoftHSMFixture.shared.makeToken("rc-yd")
        try await Self.on(primary) { try Self.fillPrimary($0) }
        try await Self.on(dr) { try $0.installTestTransportKey() }
        let fleet = try Self.primaryAndDR(primary, dr, extra: "policy:\n  requireWrapWithTrusted: true\n")
        let result = try fleet.hsmsync(["reconcile", "--fleet", fleet.path, "--apply", "--json"])
        #expect(result.status == 1, "\(result)")
        let json = try Self.json(result)
        #expect((json["copied"] as? [Any])?.isEmpty == true)
        let skipped = try #require(json["skipped"] as? [[String: Any]])
        #expect(skipped.count == 5 && skipped.allSatisfy { $0["reason"] as? String == "policy" }, "\(skipped)")
        let typo = try TestFleet(
            members: [.init("primary-1", role: "primary", token: primary)],
            extra: "policy:\n  requireWrapWithTrusty: true\n")
        #expect(try typo.hsmsync(["reconcile", "--fleet", typo.path]).status == 2)
    }

    @Test("Two reconciles of one fleet cannot run at once: the second is refused, nothing changed")
    func lock() async throws {
        let primary = try await SoftHSMFixture.shared.makeToken("rc-lp")
        let dr = try await SoftHSMFixture.shared.makeToken("rc-ld")
        try await Self.on(primary) { try Self.fillPrimary($0) }
        try await Self.on(dr) { try $0.installTestTransportKey() }
        let fleet = try Self.primaryAndDR(primary, dr)
        let state = fleet.directory.path("hsmsync-state")
        try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: true)
        let fd = open(state + "/reconcile.lock", O_RDWR | O_CREAT, 0o600)
        #expect(fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) == 0)
        let before = try await Self.objectCount(dr)
        let result = try fleet.hsmsync(["reconcile", "--fleet", fleet.path, "--apply"])
        close(fd)
        #expect(result.status == 3, "\(result)")
        #expect(result.stderr.contains("another hsmsync reconcile or restore of this fleet is running"), "\(result)")
        #expect(try await Self.objectCount(dr) == before)
    }
}
