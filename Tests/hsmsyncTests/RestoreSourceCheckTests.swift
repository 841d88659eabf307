import Foundation
import HSMSyncCore
import HSMSyncModel
import HSMSyncTesting
import PKCS11
import SignedLog
import Testing

/// Issue 17, items 4 and 5: a restored key is never wider than its source, never one that may both
/// wrap and decrypt, and never a key the source has destroyed since the bundle was made.
@Suite("backup restore against the live source (SoftHSM2)")
struct RestoreSourceCheckTests {
    typealias Support = BackupTestSupport

    /// A fleet whose primary holds the CA keys and both HSMs the transport key.
    static func fleet(_ hint: String) async throws -> (TestFleet, [TestToken]) {
        let (fleet, tokens) = try await Support.fleet(hint)
        try await Support.plantTransportKey(tokens[0])
        try await Support.plantTransportKey(tokens[1])
        try await Support.plantCAKeys(tokens[0])
        return (fleet, tokens)
    }

    /// `bundle` with `change` applied to the key labelled `label`, signed again with the fleet's own
    /// backup signing key: a bundle that verifies, as one forged by whoever holds that key would.
    static func edited(
        _ bundle: String, in fleet: TestFleet, key label: String, _ change: (inout BackupTemplate) -> Void
    ) async throws -> String {
        var content = try BackupCodec.load(bundle, trusted: nil).content
        let index = try #require(content.keys.firstIndex { $0.template.label == label }, "no \(label) in the bundle")
        change(&content.keys[index].template)
        let path = fleet.directory.path("edited-\(UUID().uuidString.prefix(8)).hsb")
        let signer = try FileKeySigner(path: fleet.directory.path("backup.key"))
        try BackupCodec.write(try await BackupCodec.encode(content, signer: signer), to: path)
        return path
    }

    static func labels(on token: TestToken) async throws -> [String] {
        try await Support.on(token) { session in
            try session.findObjects().compactMap { try session.attributes([.label], of: $0).string(.label) }
        }
    }

    static func restore(_ fleet: TestFleet, _ bundle: String) throws -> ProcessResult {
        try fleet.hsmsync(["backup", "restore", "--fleet", fleet.path, "--hsm", "dr-1", bundle, "--apply"])
    }

    @Test(
        "A template edited to WRAP+UNWRAP+ENCRYPT+DECRYPT under the label evil-kek, signed with the fleet's key: refused, the attributes named, never created"
    )
    func evilKEKRefused() async throws {
        let (fleet, tokens) = try await Self.fleet("rc-e")
        let bundle = try Support.createBundle(fleet)
        let evil = try await Self.edited(bundle, in: fleet, key: "ca-data-key") { template in
            for name: AttributeName in [.wrap, .unwrap, .encrypt, .decrypt] { template[name] = .bool(true) }
            template[.label] = .text("evil-kek")
        }
        let verified = try fleet.hsmsync(["backup", "verify", evil, "--vkey", fleet.directory.path("backup.vkey")])
        #expect(verified.status == 0, "the forged bundle verifies, as the attack needs: \(verified)")

        let result = try Self.restore(fleet, evil)
        #expect(result.status == 1, "\(result)")
        let refused = result.stdout.split(separator: "\n").first { $0.contains("REFUSED") && $0.contains("evil-kek") }
        let line = try #require(refused.map(String.init), "\(result)")
        for name in ["CKA_WRAP", "CKA_UNWRAP", "CKA_ENCRYPT", "CKA_DECRYPT"] {
            #expect(line.contains(name), "\(name) not named: \(line)")
        }
        #expect(try await !Self.labels(on: tokens[1]).contains("evil-kek"), "the wider key was created on dr-1")
        #expect(try await Self.labels(on: tokens[1]).contains("ca-mac-key"), "the honest keys are still restored")
        let entries = try String(contentsOfFile: fleet.directory.path("log/entries.jsonl"), encoding: .utf8)
        #expect(entries.contains("\"refused\":"), "the refusal is in the signed log")
    }

    @Test(
        "A template only wider than the live key (CKA_ENCRYPT added, CKA_SENSITIVE false): refused, each attribute named with both values"
    )
    func widerThanSourceRefused() async throws {
        let (fleet, tokens) = try await Self.fleet("rc-w")
        let bundle = try Support.createBundle(fleet)
        let wider = try await Self.edited(bundle, in: fleet, key: "ca-mac-key") { template in
            template["CKA_ENCRYPT"] = .bool(true)
            template["CKA_SENSITIVE"] = .bool(false)
        }
        let result = try Self.restore(fleet, wider)
        #expect(result.status == 1, "\(result)")
        let line = try #require(
            result.stdout.split(separator: "\n").first { $0.contains("REFUSED") && $0.contains("ca-mac-key") }
                .map(String.init), "\(result)")
        #expect(line.contains("CKA_ENCRYPT: bundle true, source false"), "\(line)")
        #expect(line.contains("CKA_SENSITIVE: bundle false, source true"), "\(line)")
        #expect(try await !Self.labels(on: tokens[1]).contains("ca-mac-key"))
        #expect(try await Self.labels(on: tokens[1]).contains("ca-data-key"))
    }

    @Test("An older bundle does not bring back a key the primary destroyed since: refused, named, not created")
    func noResurrection() async throws {
        let (fleet, tokens) = try await Self.fleet("rc-r")
        let bundle = try Support.createBundle(fleet)
        try await Support.on(tokens[0]) { session in
            try session.destroyObject(try session.findObject(matching: [.class(.secretKey), .label("ca-mac-key")]))
        }
        let dryRun = try fleet.hsmsync(["backup", "restore", "--fleet", fleet.path, "--hsm", "dr-1", bundle, "--json"])
        #expect(dryRun.status == 1, "\(dryRun)")
        let plan = try #require(try Support.json(dryRun.stdout)["plan"] as? [String: Any])
        let source = try #require(plan["source"] as? [String: Any])
        #expect(source["status"] as? String == "compared" && source["hsm"] as? String == "primary-1", "\(source)")
        let refused = (plan["keys"] as? [[String: Any]] ?? []).filter { $0["action"] as? String == "refused" }
        #expect(refused.count == 1, "\(refused)")
        #expect((refused.first?["detail"] as? String)?.contains("no longer on the source primary-1") == true)

        let result = try Self.restore(fleet, bundle)
        #expect(result.status == 1, "\(result)")
        #expect(try await !Self.labels(on: tokens[1]).contains("ca-mac-key"), "the destroyed key came back")
        #expect(try await Self.labels(on: tokens[1]).contains("ca-data-key"))
    }

    @Test("The source unreachable (the disaster case): the restore goes on and says the live comparison was not made")
    func sourceUnreachable() async throws {
        let (fleet, tokens) = try await Self.fleet("rc-u")
        let bundle = try Support.createBundle(fleet)
        // primary-1's token gone from this host: the fleet still names it, but it cannot be scanned.
        let yaml = try String(contentsOfFile: fleet.path, encoding: .utf8)
        try yaml.replacingOccurrences(of: "token=\(tokens[0].label)\"", with: "token=gone-\(tokens[0].label)\"")
            .write(toFile: fleet.path, atomically: true, encoding: .utf8)
        let result = try Self.restore(fleet, bundle)
        #expect(result.status == 0, "\(result)")
        #expect(result.stdout.contains("source primary-1 not compared"), "\(result)")
        #expect(try await Self.labels(on: tokens[1]).contains("ca-mac-key"))
    }
}
