import Foundation
import Glibc
import HSMSyncCore
import HSMSyncModel
import HSMSyncTesting
import PKCS11
import PKCS11Endpoint
import SignedLog
import Testing

/// Issue 17, items 1 and 2: recovery of an interrupted `reconcile --apply` destroys only what it
/// can prove it made. The journal is a plain file: a record the signed log does not hold, byte for
/// byte, decides nothing; a destination object with other material, another policy or an
/// unavailable fingerprint is a conflict, never "torn"; and a key another application creates on
/// the destination meanwhile — labelled or not — is never touched.
@Suite("Recovery never destroys what hsmsync did not make (SoftHSM2)")
struct RecoveryIntegrityTests {
    static let actor = AuditActor(id: "test-operator", role: "operator")

    static func session(_ token: TestToken) async throws -> Session {
        try await SoftHSMFixture.shared.module().loggedInSession(token)
    }

    /// primary-1 (primary) and dr-1 (secondary), both with the test transport key, and a signed log.
    static func fleet(_ hint: String) async throws -> (TestFleet, primary: TestToken, dr: TestToken) {
        let primary = try await SoftHSMFixture.shared.makeToken("\(hint)p")
        let dr = try await SoftHSMFixture.shared.makeToken("\(hint)d")
        try await session(primary).installTestTransportKey()
        try await session(dr).installTestTransportKey()
        let fleet = try TestFleet(
            members: [
                .init("primary-1", role: "primary", token: primary), .init("dr-1", role: "secondary", token: dr),
            ], extra: TestFleet.fileKeyLog)
        let created = try fleet.initializeLog(origin: "recovery.example/hsmsync/\(hint)")
        #expect(created.status == 0, "\(created)")
        return (fleet, primary, dr)
    }

    /// `token`'s inventory as reconcile scans it, by identity.
    static func records(_ token: TestToken) async throws -> [KeyIdentity: KeyRecord] {
        let scan = try await session(token).scanInventory(transportLabel: "hsmsync-transport", scope: KeyScope())
        return Dictionary(scan.objects.map { ($0.identity, $0) }, uniquingKeysWith: { first, _ in first })
    }

    static func aes(_ label: String, _ id: UInt8) -> KeyIdentity {
        KeyIdentity(objectClass: "secret-key", label: label, id: Hex.encode([id]))
    }

    /// The pending copy of `identity` from primary-1 to dr-1 an interrupted run would have left,
    /// with the source's real fingerprint and policy unless told otherwise.
    static func operation(
        _ identity: KeyIdentity, source: KeyRecord?, fingerprint: Fingerprint? = nil, op: String = UUID().uuidString
    ) -> ReplicationJournal.Operation {
        ReplicationJournal.Operation(
            op: op, key: identity, publicKey: nil, source: "primary-1", destination: "dr-1",
            fingerprint: fingerprint ?? source?.fingerprint ?? .unavailable(reason: "not read"),
            incompleteObjectsBefore: 0, keyPolicy: source.map(ReplicationJournal.StagedPolicy.init),
            publicKeyPolicy: nil)
    }

    /// Writes `journaled` to the fleet's journal and, for each of `logged`, the `replicate.intent`
    /// entry the run makes before its first wrap.
    static func leavePending(
        _ fleet: TestFleet, journaled: [ReplicationJournal.Operation], logged: [ReplicationJournal.Operation]
    ) async throws {
        let state = fleet.directory.path("hsmsync-state")
        try FileManager.default.createDirectory(
            atPath: state, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        try ReplicationJournal(directory: state).intend(journaled, batch: UUID().uuidString)
        guard !logged.isEmpty else { return }
        let log = try await AuditLog.open(
            directory: fleet.directory.path("audit-log"),
            signer: try FileKeySigner(path: fleet.directory.path("log.key")),
            actor: actor)
        _ = try await log.append(contentsOf: logged.map(ReplicationEntries(actor: actor).intent))
        _ = try await log.checkpoint()
        try await log.close()
    }

    static func apply(_ fleet: TestFleet) throws -> (ProcessResult, [String: Any]) {
        let result = try fleet.hsmsync(["reconcile", "--fleet", fleet.path, "--apply", "--json"])
        let json = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        return (result, try #require(json, "\(result)"))
    }

    static func outcomes(_ json: [String: Any]) -> [String: String] {
        let recovered = json["recovered"] as? [[String: Any]] ?? []
        return Dictionary(
            recovered.compactMap { entry in
                (entry["key"] as? String).map { ($0, entry["outcome"] as? String ?? "?") }
            }, uniquingKeysWith: { first, _ in first })
    }

    @Test(
        "A forged journal record the signed log never announced destroys nothing: not a hardened copy, not a key with other material"
    )
    func forgedJournalRecord() async throws {
        let (fleet, primary, dr) = try await Self.fleet("ri-f")
        try await Self.session(primary).importTestAESKey(
            label: "aes-1", id: [1], value: TestMaterial.aesKey(1), wrapWithTrusted: false)
        try await Self.session(primary).importTestAESKey(
            label: "aes-2", id: [2], value: TestMaterial.aesKey(2), wrapWithTrusted: false)
        // dr-1's own versions: aes-1 hardened (no CKA_SIGN), aes-2 other material (and no CKA_SIGN).
        try await Self.session(dr).importTestAESKey(
            label: "aes-1", id: [1], value: TestMaterial.aesKey(1), wrapWithTrusted: false, sign: false)
        try await Self.session(dr).importTestAESKey(
            label: "aes-2", id: [2], value: TestMaterial.aesKey(3), wrapWithTrusted: false, sign: false)
        let before = try await Self.records(dr)
        let source = try await Self.records(primary)
        // What an attacker with write access to the state directory plants: plausible intents, one
        // with the fingerprint left "unavailable", never announced in the signed log.
        try await Self.leavePending(
            fleet,
            journaled: [
                Self.operation(Self.aes("aes-1", 1), source: source[Self.aes("aes-1", 1)]),
                Self.operation(
                    Self.aes("aes-2", 2), source: source[Self.aes("aes-2", 2)],
                    fingerprint: .unavailable(reason: "forged")),
            ], logged: [])

        let (result, json) = try Self.apply(fleet)
        #expect(result.status == 1, "dr-1's own keys still differ from the primary's: \(result)")
        #expect(
            Self.outcomes(json).values.sorted() == ["not-started", "not-started"],
            "the log never announced these copies: \(json["recovered"] ?? "")")
        let after = try await Self.records(dr)
        for identity in [Self.aes("aes-1", 1), Self.aes("aes-2", 2)] {
            #expect(after[identity] == before[identity], "\(identity) on dr-1 was changed by recovery")
        }
        #expect(after.count == before.count)
        let verified = try fleet.hsmsync(["log", "verify", fleet.directory.path("audit-log")])
        #expect(verified.status == 0, "\(verified)")
    }

    @Test(
        "A journal record edited after the signed log announced it is refused as a security event; nothing is destroyed"
    )
    func editedJournalRecord() async throws {
        let (fleet, primary, dr) = try await Self.fleet("ri-e")
        try await Self.session(primary).importTestAESKey(
            label: "aes-1", id: [1], value: TestMaterial.aesKey(1), wrapWithTrusted: false)
        try await Self.session(dr).importTestAESKey(
            label: "aes-1", id: [1], value: TestMaterial.aesKey(1), wrapWithTrusted: false, sign: false)
        let before = try await Self.records(dr)
        let source = try await Self.records(primary)
        let genuine = Self.operation(Self.aes("aes-1", 1), source: source[Self.aes("aes-1", 1)], op: "op-edited")
        // The same op, edited to describe dr-1's hardened copy as what was staged.
        let edited = Self.operation(Self.aes("aes-1", 1), source: before[Self.aes("aes-1", 1)], op: "op-edited")
        try await Self.leavePending(fleet, journaled: [edited], logged: [genuine])

        let (result, json) = try Self.apply(fleet)
        #expect(result.status == 3, "a failure of the run, as every security event is: \(result)")
        #expect(Self.outcomes(json)[Self.aes("aes-1", 1).description] == "refused", "\(json["recovered"] ?? "")")
        let failures = json["failures"] as? [[String: Any]] ?? []
        #expect(
            failures.contains { $0["reason"] as? String == "journal" && $0["securityEvent"] as? Bool == true },
            "\(failures)")
        #expect(try await Self.records(dr) == before, "recovery changed dr-1")
        let entries = try String(contentsOfFile: fleet.directory.path("audit-log/entries.jsonl"), encoding: .utf8)
        #expect(entries.contains("\"security.event\""), "the refusal is in the signed log")
    }

    @Test(
        "A genuine pending copy whose destination holds a hardened copy, or other material with an unavailable fingerprint, is a conflict: nothing is destroyed"
    )
    func genuineRecordNeverDestroysWhatDiffers() async throws {
        let (fleet, primary, dr) = try await Self.fleet("ri-g")
        try await Self.session(primary).importTestAESKey(
            label: "aes-1", id: [1], value: TestMaterial.aesKey(1), wrapWithTrusted: false)
        try await Self.session(primary).importTestAESKey(
            label: "aes-2", id: [2], value: TestMaterial.aesKey(2), wrapWithTrusted: false)
        try await Self.session(dr).importTestAESKey(
            label: "aes-1", id: [1], value: TestMaterial.aesKey(1), wrapWithTrusted: false, sign: false)
        try await Self.session(dr).importTestAESKey(
            label: "aes-2", id: [2], value: TestMaterial.aesKey(3), wrapWithTrusted: false, sign: false)
        let before = try await Self.records(dr)
        let source = try await Self.records(primary)
        let operations = [
            Self.operation(Self.aes("aes-1", 1), source: source[Self.aes("aes-1", 1)]),
            Self.operation(
                Self.aes("aes-2", 2), source: source[Self.aes("aes-2", 2)],
                fingerprint: .unavailable(reason: "not read")),
        ]
        try await Self.leavePending(fleet, journaled: operations, logged: operations)

        let (result, json) = try Self.apply(fleet)
        #expect(result.status == 1, "\(result)")
        #expect(Self.outcomes(json).values.sorted() == ["conflict", "conflict"], "\(json["recovered"] ?? "")")
        #expect(try await Self.records(dr) == before, "recovery changed dr-1")
    }

    @Test(
        "Killed once the journal holds a batch; a CA then creates an unlabelled, id-less key on dr-1: the rerun recovers and the CA's key survives"
    )
    func foreignAnonymousKeySurvives() async throws {
        let (fleet, primary, dr) = try await Self.fleet("ri-a")
        let keys = 150
        do {
            let session = try await Self.session(primary)
            for index in 0..<keys {
                try session.importTestAESKey(
                    label: "aes-\(index)", id: [0xA0, UInt8(index)], value: TestMaterial.aesKey(UInt8(index)),
                    wrapWithTrusted: false)
            }
        }
        let process = Process()
        process.executableURL = CommandRunner.hsmsync
        process.arguments = ["reconcile", "--fleet", fleet.path, "--apply"]
        // Paused by the test hook once the first copy of the first batch is done: the rest of the
        // batch is announced and pending for certain when the kill lands (a kill on "the journal is
        // not empty" alone could land between batches, with nothing pending, on a loaded machine).
        let pause = fleet.directory.path("pause")
        process.environment = ProcessInfo.processInfo.environment.merging(SoftHSMFixture.shared.environment) {
            _, new in new
        }.merging(["HSMSYNC_TEST_PAUSE_COPY": "1:\(pause)"]) { _, new in new }
        let output = fleet.directory.path("killed-run.txt")
        _ = FileManager.default.createFile(atPath: output, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: output))
        process.standardError = process.standardOutput
        try process.run()
        _ = await KillSwitch.kill(process.processIdentifier) {
            FileManager.default.fileExists(atPath: pause + ".paused")
        }
        process.waitUntilExit()
        #expect(
            process.terminationReason == .uncaughtSignal,
            "the run ended (exit \(process.terminationStatus)) before the kill: \((try? String(contentsOfFile: output, encoding: .utf8)) ?? "")"
        )

        // Another application's key: no label, no CKA_ID, not extractable.
        let foreign = try await Self.session(dr).generateKey(
            .aesKeyGen,
            template: [
                .class(.secretKey), .keyType(.aes), .ulong(.valueLength, 32), .bool(.token, true),
                .bool(.private, true), .bool(.sensitive, true), .bool(.extractable, false), .bool(.encrypt, true),
                .bool(.decrypt, true),
            ])
        _ = foreign
        func anonymousKeys() async throws -> Int {
            let session = try await Self.session(dr)
            return try session.findObjects(matching: [.class(.secretKey)]).filter { handle in
                let set = try session.attributes([.label, .id], of: handle)
                return (set.string(.label) ?? "").isEmpty && (set.bytes(.id) ?? []).isEmpty
            }.count
        }
        #expect(try await anonymousKeys() == 1)

        let (result, json) = try Self.apply(fleet)
        #expect(result.status != 3, "\(result)")
        #expect(!(json["recovered"] as? [Any] ?? []).isEmpty, "the kill left no pending copy: nothing was recovered")
        #expect(try await anonymousKeys() == 1, "recovery destroyed the other application's key: \(result)")
        let count = try await Self.session(dr).findObjects().count
        #expect(count == 1 + keys + 1, "transport key, \(keys) copies and the foreign key; found \(count)")
    }
}
