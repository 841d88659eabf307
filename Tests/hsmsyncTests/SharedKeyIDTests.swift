import Foundation
import HSMSyncCore
import HSMSyncModel
import HSMSyncTesting
import PKCS11
import SignedLog
import Testing

/// Issue 17, item 6a: a second key of one class with another key's `CKA_ID` under another label is
/// reported, and reconcile never spreads the ambiguity to another HSM.
@Suite("Shared CKA_ID (SoftHSM2)")
struct SharedKeyIDTests {
    @Test(
        "A second secret key with db-master's CKA_ID under another label: a policy finding on the primary; reconcile copies db-master only and skips the other as duplicate"
    )
    func sharedIDNotSpread() async throws {
        let primary = try await SoftHSMFixture.shared.makeToken("sid-p")
        let dr = try await SoftHSMFixture.shared.makeToken("sid-d")
        do {
            let session = try await SoftHSMFixture.shared.module().loggedInSession(primary)
            try session.installTestTransportKey()
            try session.importTestAESKey(
                label: "db-master", id: [3], value: TestMaterial.aesKey(3), wrapWithTrusted: false)
            try session.importTestAESKey(
                label: "db-master-shadow", id: [3], value: TestMaterial.aesKey(4), wrapWithTrusted: false)
        }
        try await SoftHSMFixture.shared.module().loggedInSession(dr).installTestTransportKey()
        let fleet = try TestFleet(
            members: [
                .init("primary-1", role: "primary", token: primary), .init("dr-1", role: "secondary", token: dr),
            ])

        let audit = try fleet.hsmsync(["audit", "--fleet", fleet.path, "--json"])
        let report = try #require(try JSONSerialization.jsonObject(with: Data(audit.stdout.utf8)) as? [String: Any])
        let shared = (report["findings"] as? [[String: Any]] ?? []).filter {
            $0["kind"] as? String == "policy" && ($0["detail"] as? String)?.contains("CKA_ID 03 is shared") == true
        }
        #expect(shared.count == 2 && shared.allSatisfy { $0["hsm"] as? String == "primary-1" }, "\(audit)")

        let applied = try fleet.hsmsync(["reconcile", "--fleet", fleet.path, "--apply", "--json"])
        #expect(applied.status == 1, "\(applied)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(applied.stdout.utf8)) as? [String: Any])
        let copied = (json["copied"] as? [[String: Any]] ?? []).compactMap { ($0["key"] as? [String: Any])?["label"] }
        #expect(copied.map { "\($0)" } == ["db-master"], "\(applied)")
        let skipped = (json["skipped"] as? [[String: Any]] ?? []).filter { $0["reason"] as? String == "duplicate" }
        #expect(skipped.count == 1, "\(applied)")
        #expect((skipped.first?["detail"] as? String)?.contains("CKA_ID 03") == true, "\(skipped)")
        let labels = try await SoftHSMFixture.shared.module().loggedInSession(dr).findObjects(matching: [.id([3])])
        #expect(labels.count == 1, "dr-1 holds one key with CKA_ID 03")
    }
}
