import Foundation
import HSMSyncCore
import HSMSyncModel
import HSMSyncTesting
import PKCS11
import PKCS11Endpoint
import SecureMemory
import SignedLog
import Testing

/// `hsmsync backup restore`, through the binary, on real SoftHSM2 tokens: the DR restore end to
/// end, and every refusal before the HSM is touched.
@Suite("hsmsync backup restore")
struct BackupRestoreTests {
    typealias Support = BackupTestSupport

    /// The primary's extractable CA keys (AES, a locked-down AES, EC, RSA) without the
    /// non-extractable one, so the pair can reach parity.
    static func plantRestorableKeys(_ token: TestToken) async throws {
        try await Support.on(token) { session in
            try session.importTestAESKey(
                label: "ca-data-key", id: [0x01], value: TestMaterial.aesKey(1), wrapWithTrusted: false)
            // Locked down: SoftHSM2 will not C_CopyObject it, so restore promotes by a second unwrap.
            try session.importTestAESKey(
                label: "ca-locked-key", id: [0x05], value: TestMaterial.aesKey(5), wrapWithTrusted: false,
                extra: [.bool(.copyable, false), .bool(.modifiable, false)])
            try session.importTestECPair(
                label: "ca-root-ec", id: [0x03], key: TestMaterial.ecKey(3), extractable: true,
                privateExtra: [.bool(.wrapWithTrusted, false)])
            try Support.generateRSAPair(session, label: "ca-issuing-rsa", id: [0x04])
        }
    }

    /// A fleet whose two HSMs share one transport key, a bundle of the primary's keys.
    static func restorable(_ hint: String) async throws -> (TestFleet, [TestToken], String) {
        let (fleet, tokens) = try await Support.fleet(hint)
        try await Support.plantTransportKey(tokens[0])
        try await Support.plantTransportKey(tokens[1])
        try await plantRestorableKeys(tokens[0])
        return (fleet, tokens, try Support.createBundle(fleet))
    }

    /// A fleet whose primary made its transport key and split it 2 of 3 (share files in the returned
    /// directory), holds the restorable keys, and has been backed up (the bundle's path).
    static func primaryWithShares(_ hint: String, extra: String = "") async throws
        -> (fleet: TestFleet, tokens: [TestToken], shares: TemporaryDirectory, bundle: String)
    {
        let (fleet, tokens) = try await Support.fleet(hint, extra: extra)
        let shares = try TemporaryDirectory(prefix: hint + "-shares")
        let created = try fleet.hsmsync([
            "transport", "create", "--fleet", fleet.path, "--hsm", "primary-1", "--shares", "3", "--threshold", "2",
            "--out-dir", shares.url.path,
        ])
        #expect(created.status == 0, "\(created)")
        try await plantRestorableKeys(tokens[0])
        return (fleet, tokens, shares, try Support.createBundle(fleet))
    }

    static func restore(
        _ fleet: TestFleet, _ bundle: String, apply: Bool = true, hsm: String = "dr-1", json: Bool = false
    )
        throws -> ProcessResult
    {
        try fleet.hsmsync(
            ["backup", "restore", "--fleet", fleet.path, "--hsm", hsm, bundle] + (apply ? ["--apply"] : [])
                + (json ? ["--json"] : []))
    }

    @Test(
        "DR end to end: primary (AES, EC, RSA) → bundle → fresh secondary → transport key from 2 of 3 shares → restore → audit parity; twice is a no-op"
    )
    func disasterRecovery() async throws {
        let (fleet, tokens, shares, bundle) = try await Self.primaryWithShares("dr-e2e")

        let files = (1...3).map { shares.path("transport-share-\($0)-of-3.txt") }
        let installed = try fleet.hsmsync([
            "transport", "install", "--fleet", fleet.path, "--hsm", "dr-1", "--share", files[2], files[0],
        ])
        #expect(installed.status == 0, "\(installed)")
        let emptySecondary = try await Support.objectCount(tokens[1])
        #expect(emptySecondary == 1, "only the transport key")

        let dryRun = try Self.restore(fleet, bundle, apply: false)
        #expect(dryRun.status == 0, "\(dryRun)")
        #expect(dryRun.stdout.contains("would restore private-key \"ca-issuing-rsa\""))
        #expect(dryRun.stdout.contains("6 to restore, 0 conflicts; nothing was changed"))
        #expect(try await Support.objectCount(tokens[1]) == emptySecondary, "a dry run changes nothing")

        let applied = try Self.restore(fleet, bundle, json: true)
        #expect(applied.status == 0, "\(applied)")
        let report = try Support.json(applied.stdout)
        // The shape docs/backup-format.md documents.
        let plan = try #require(report["plan"] as? [String: Any])
        #expect(report["applied"] as? Bool == true)
        #expect(plan["hsm"] as? String == "dr-1" && (plan["bundleSHA256"] as? String)?.count == 64, "\(plan)")
        let planned = (plan["keys"] as? [[String: Any]] ?? []) + (plan["objects"] as? [[String: Any]] ?? [])
        #expect(planned.count == 6 && planned.allSatisfy { $0["action"] as? String == "restore" }, "\(planned)")
        let outcomes = try #require(report["outcomes"] as? [[String: Any]])
        #expect(outcomes.count == 6)
        #expect(outcomes.allSatisfy { $0["status"] as? String == "restored" }, "\(outcomes)")
        let proofs = outcomes.flatMap { $0["proof"] as? [String] ?? [] }
        #expect(proofs.filter { $0.contains("re-wrap under the backup key equals") }.count == 4)
        // Every restored object is proven by a fresh scan's fingerprint ("fingerprint … (method) equals the bundle's").
        #expect(
            outcomes.allSatisfy { outcome in
                (outcome["proof"] as? [String] ?? []).contains { $0.hasSuffix(") equals the bundle's") }
            }, "\(outcomes)")
        #expect(try await Support.objectCount(tokens[1]) == emptySecondary + 6)

        let audit = try fleet.hsmsync(["audit", "--fleet", fleet.path, "--json"])
        #expect(audit.status == 0, "\(audit)")
        #expect(try Support.json(audit.stdout)["status"] as? String == "parity")

        let again = try Self.restore(fleet, bundle)
        #expect(again.status == 0, "\(again)")
        #expect(again.stdout.contains("nothing to restore"))
        #expect(again.stdout.components(separatedBy: "  present ").count - 1 == 6)
        #expect(try await Support.objectCount(tokens[1]) == emptySecondary + 6, "the second restore is a no-op")

        let log = try CommandRunner.hsmsync(["log", "verify", "log"], directory: fleet.directory.url)
        #expect(log.status == 0, "\(log)")
        let entries = try String(contentsOfFile: fleet.directory.path("log/entries.jsonl"), encoding: .utf8)
        #expect(entries.components(separatedBy: "\"backup.restore.key\"").count - 1 == 6)
    }

    @Test(
        "drill: the bundle restored into a throwaway token from 2 of 3 shares, proven against the live primary, logged, exported as a metric"
    )
    func drill() async throws {
        // A scope glob no YAML interpolation survives: the drill's own fleet file must carry it intact.
        let (fleet, tokens, shares, bundle) = try await Self.primaryWithShares(
            "drill", extra: "keys:\n  include: [\"*\"]\n  exclude: ['no \"such\" key #1: \\ ']\n")
        let secondaryBefore = try await Support.objectCount(tokens[1])
        let primaryBefore = try await Support.objectCount(tokens[0])

        let files = (1...3).map { shares.path("transport-share-\($0)-of-3.txt") }
        // The drill's temporary directory of its own, to see that the throwaway token is gone after.
        let temporary = try TemporaryDirectory(prefix: "drill-tmp")
        let drilled = try fleet.hsmsync(
            ["backup", "drill", "--fleet", fleet.path, bundle, "--share", files[1], files[2]],
            environment: ["TMPDIR": temporary.url.path])
        #expect(drilled.status == 0, "\(drilled)")
        let left = try FileManager.default.contentsOfDirectory(atPath: temporary.url.path)
        #expect(left.isEmpty, "the throwaway token, its PINs and library copy are destroyed: \(left)")
        #expect(try await Support.objectCount(tokens[1]) == secondaryBefore, "a drill never touches the fleet's HSMs")
        #expect(try await Support.objectCount(tokens[0]) == primaryBefore, "a drill never touches the fleet's HSMs")

        func drillEntries() throws -> [[String: Any]] {
            try String(contentsOfFile: fleet.directory.path("log/entries.jsonl"), encoding: .utf8)
                .split(separator: "\n").filter { $0.contains("\"backup.drill\"") }
                .map { try Support.json(String($0)) }
        }
        let first = try #require(try drillEntries().first, "no backup.drill entry")
        let outputs = try #require(first["outputs"] as? [String: Any], "\(first)")
        // Every object of the bundle (AES, locked AES, EC pair, RSA pair) proven; a drill of nothing would say 0.
        #expect(first["result"] as? String == "ok", "\(first)")
        #expect(outputs["proven"] as? Int == 6 && outputs["objects"] as? Int == 6, "\(outputs)")
        #expect(outputs["lastVerifiedRestorable"] is Int, "\(outputs)")
        let metrics = fleet.directory.path("audit.prom")
        let audit = try fleet.hsmsync(["audit", "--fleet", fleet.path, "--metrics", metrics])
        #expect(audit.status == 1, "dr-1 holds none of the keys: drift \(audit)")
        let exposition = try String(contentsOfFile: metrics, encoding: .utf8)
        #expect(exposition.contains("hsmsync_backup_last_verified_restorable_timestamp_seconds"), "\(exposition)")

        // One share is not enough: invalid input (exit 2, as `transport install` says), nothing
        // proven, nothing recorded as restorable.
        let short = try fleet.hsmsync(["backup", "drill", "--fleet", fleet.path, bundle, "--share", files[0]])
        #expect(short.status == 2, "\(short)")
        #expect(short.stderr.contains("loading the backup key into the throwaway token"), "\(short)")
        let entries = try drillEntries()
        #expect(entries.count == 2)
        #expect(entries.last?["result"] as? String == "failed", "\(entries)")
        let lastOutputs = entries.last?["outputs"] as? [String: Any]
        #expect(lastOutputs?["lastVerifiedRestorable"] as? Int == nil, "nothing recorded as restorable: \(entries)")
    }

    @Test("one byte changed anywhere → restore refuses before the HSM is touched (object count unchanged), exit 1")
    func tamperedBundleRefused() async throws {
        let (fleet, tokens, bundle) = try await Self.restorable("rs-t")
        let size = try #require(try FileManager.default.attributesOfItem(atPath: bundle)[.size] as? Int)
        let before = try await Support.objectCount(tokens[1])
        let scratch = try TemporaryDirectory(prefix: "tamper")
        for offset in [0, 9, 20, 30, 45, size / 3, size / 2, size - 100, size - 1] {
            let copy = try Support.tampered(bundle, offset: offset, in: scratch)
            let result = try Self.restore(fleet, copy)
            #expect(result.status == 1, "offset \(offset): \(result)")
            #expect(result.stderr.contains("byte offset"), "offset \(offset): \(result.stderr)")
        }
        #expect(try await Support.objectCount(tokens[1]) == before)
        let truncated = scratch.path("cut.hsb")
        try Data(try Data(contentsOf: URL(fileURLWithPath: bundle)).prefix(size - 7)).write(
            to: URL(fileURLWithPath: truncated))
        let cut = try Self.restore(fleet, truncated)
        #expect(cut.status == 2, "\(cut)")
        #expect(try await Support.objectCount(tokens[1]) == before)
    }

    @Test("a bundle of another fleet is refused with the reason: its signer, and with its vkey its fleet name")
    func otherFleetRefused() async throws {
        let (fleet, tokens) = try await Support.fleet("rs-f")
        try await Support.plantTransportKey(tokens[1])
        let (other, otherTokens) = try await Support.fleet("rs-f2", name: "other-fleet")
        try await Support.plantTransportKey(otherTokens[0])
        try await Self.plantRestorableKeys(otherTokens[0])
        let bundle = try Support.createBundle(other)
        let before = try await Support.objectCount(tokens[1])

        let unsigned = try Self.restore(fleet, bundle)
        #expect(unsigned.status == 1, "\(unsigned)")
        #expect(unsigned.stderr.contains("not by the trusted key backup-fleet.example"))
        let foreign = try fleet.hsmsync([
            "backup", "restore", "--fleet", fleet.path, "--hsm", "dr-1", bundle, "--apply", "--vkey",
            other.directory.path("backup.vkey"),
        ])
        #expect(foreign.status == 1, "\(foreign)")
        #expect(foreign.stderr.contains("the bundle belongs to fleet \"other-fleet\", not \"backup-fleet\""))
        #expect(try await Support.objectCount(tokens[1]) == before)
        let entries = try String(contentsOfFile: fleet.directory.path("log/entries.jsonl"), encoding: .utf8)
        #expect(entries.contains("\"backup.restore\"") && entries.contains("\"refused\""))
    }

    @Test("a target whose backup key has another check value is refused, naming both check values")
    func otherBackupKeyRefused() async throws {
        let (fleet, tokens) = try await Support.fleet("rs-k")
        try await Support.plantTransportKey(tokens[0])
        try await Support.plantTransportKey(tokens[1], value: TestMaterial.otherTransportKey)
        try await Self.plantRestorableKeys(tokens[0])
        let bundle = try Support.createBundle(fleet)
        let before = try await Support.objectCount(tokens[1])
        let result = try Self.restore(fleet, bundle)
        #expect(result.status == 1, "\(result)")
        #expect(result.stderr.contains("the backup key \"hsmsync-transport\" has check value"))
        #expect(result.stderr.contains("wrapped under a key with check value"))
        #expect(try await Support.objectCount(tokens[1]) == before)
    }

    @Test("a conflicting key on the target is left untouched and reported; the others are restored (exit 1)")
    func conflictUntouched() async throws {
        let (fleet, tokens, bundle) = try await Self.restorable("rs-c")
        try await Support.on(tokens[1]) { session in
            _ = try session.importTestAESKey(
                label: "ca-data-key", id: [0x01], value: TestMaterial.aesKey(9), wrapWithTrusted: false)
        }
        // dr-1's own ca-data-key, by fingerprint: it must be exactly this key after the restore.
        func conflictingFingerprint() throws -> String? {
            let inventory = try fleet.hsmsync(["inventory", "--fleet", fleet.path, "--hsm", "dr-1", "--json"])
            let hsm = try #require((try Support.json(inventory.stdout)["hsms"] as? [[String: Any]])?.first)
            let keys = (hsm["objects"] as? [[String: Any]] ?? []).filter {
                $0["label"] as? String == "ca-data-key" && $0["objectClass"] as? String == "secret-key"
            }
            #expect(keys.count == 1, "\(keys)")
            return (keys.first?["fingerprint"] as? [String: Any])?["sha256"] as? String
        }
        let ownKey = try #require(try conflictingFingerprint())
        let dryRun = try Self.restore(fleet, bundle, apply: false)
        #expect(dryRun.status == 1, "\(dryRun)")
        #expect(dryRun.stdout.contains("CONFLICT    secret-key \"ca-data-key\" id 01 (aes): other material"))
        let before = try await Support.objectCount(tokens[1])
        let result = try Self.restore(fleet, bundle)
        #expect(result.status == 1, "\(result)")
        #expect(result.stdout.contains("CONFLICT    secret-key \"ca-data-key\""))
        #expect(result.stdout.contains("5 restored and proven, 0 failed, 1 conflicts"))
        #expect(try await Support.objectCount(tokens[1]) == before + 5)
        // The conflicting key is still dr-1's own: same fingerprint, never overwritten or replaced.
        #expect(try conflictingFingerprint() == ownKey)
        let audit = try fleet.hsmsync(["audit", "--fleet", fleet.path, "--json"])
        #expect(audit.status == 1, "the conflict is still drift: \(audit.stdout)")
        #expect(audit.stdout.contains("material-mismatch"))
    }

    @Test("the same key under another policy on the target is a conflict, named by attribute, and left untouched")
    func samePolicyRequired() async throws {
        let (fleet, tokens, bundle) = try await Self.restorable("rs-w")
        // dr-1 already holds ca-data-key's very material, but allowed to decrypt as well.
        try await Support.on(tokens[1]) { session in
            _ = try session.importTestAESKey(
                label: "ca-data-key", id: [0x01], value: TestMaterial.aesKey(1), wrapWithTrusted: false,
                extra: [.bool(.decrypt, true)])
        }
        let dryRun = try Self.restore(fleet, bundle, apply: false)
        #expect(dryRun.status == 1, "\(dryRun)")
        #expect(
            dryRun.stdout.contains(
                "CONFLICT    secret-key \"ca-data-key\" id 01 (aes): same material, another policy: "
                    + "CKA_DECRYPT: bundle false, target true"),
            "\(dryRun)")
        let before = try await Support.objectCount(tokens[1])
        let result = try Self.restore(fleet, bundle)
        #expect(result.status == 1, "\(result)")
        #expect(result.stdout.contains("5 restored and proven, 0 failed, 1 conflicts"), "\(result)")
        #expect(try await Support.objectCount(tokens[1]) == before + 5)
    }

    @Test("restore --apply while a reconcile of the fleet holds its lock: refused (exit 3), nothing touched")
    func lockedOut() async throws {
        let (fleet, tokens, bundle) = try await Self.restorable("rs-l")
        let state = fleet.directory.path("hsmsync-state")
        try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: true)
        let fd = open(state + "/reconcile.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        defer { close(fd) }
        #expect(fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) == 0)
        let before = try await Support.objectCount(tokens[1])
        let result = try Self.restore(fleet, bundle)
        #expect(result.status == 3, "\(result)")
        #expect(result.stderr.contains("another hsmsync reconcile or restore of this fleet is running"), "\(result)")
        #expect(try await Support.objectCount(tokens[1]) == before)
        // The dry run takes no lock: it only reads.
        #expect(try Self.restore(fleet, bundle, apply: false).status == 0)
    }

    @Test(
        "backup.key-label: the bundle is wrapped under the distinct backup key, not the transport key, and restores where only the backup keys agree"
    )
    func distinctBackupKey() async throws {
        let (fleet, tokens) = try await Support.fleet("rs-bk", backup: "  key-label: hsmsync-backup\n")
        // The two HSMs' transport keys differ; their backup keys are one key.
        for (token, transportValue) in zip(tokens, [TestMaterial.transportKey, TestMaterial.aesKey(42)]) {
            try await Support.on(token) { session in
                _ = try session.createObject(
                    TransportKeyTemplate.attributes(label: "hsmsync-transport"),
                    secretValue: SecretBytes(copying: transportValue))
                _ = try session.createObject(
                    TransportKeyTemplate.attributes(label: "hsmsync-backup"),
                    secretValue: SecretBytes(copying: TestMaterial.otherTransportKey))
            }
        }
        try await Self.plantRestorableKeys(tokens[0])
        let bundle = try Support.createBundle(fleet)
        let verified = try fleet.hsmsync(["backup", "verify", bundle, "--json"])
        #expect(verified.status == 0, "\(verified)")
        let manifest = try #require(try Support.json(verified.stdout)["manifest"] as? [String: Any])
        let backupKey = try #require(manifest["backupKey"] as? [String: Any])
        #expect(backupKey["label"] as? String == "hsmsync-backup", "\(backupKey)")
        #expect(backupKey["isTransportKey"] as? Bool == false, "\(backupKey)")
        let before = try await Support.objectCount(tokens[1])
        let restored = try Self.restore(fleet, bundle, json: true)
        #expect(restored.status == 0, "\(restored)")
        let outcomes = try #require(try Support.json(restored.stdout)["outcomes"] as? [[String: Any]])
        #expect(outcomes.count == 6 && outcomes.allSatisfy { $0["status"] as? String == "restored" }, "\(outcomes)")
        #expect(try await Support.objectCount(tokens[1]) == before + 6)
    }

    @Test("a primary is never a restore target (exit 2, nothing touched)")
    func primaryRefused() async throws {
        let (fleet, tokens, bundle) = try await Self.restorable("rs-p")
        let before = try await Support.objectCount(tokens[0])
        let result = try Self.restore(fleet, bundle, hsm: "primary-1")
        #expect(result.status == 2, "\(result)")
        #expect(result.stderr.contains("primary-1 is a primary"))
        #expect(try await Support.objectCount(tokens[0]) == before)
    }
}
