import Foundation
import HSMSyncTesting
import PKCS11
import Testing

/// A refused PIN is not an unreachable HSM (issue 13 item 5): every command says the PIN was
/// refused and names its source, never the PIN, and the next step is about the PIN, not the network.
@Suite("a refused PIN")
struct PINRefusedTests {
    static let wrongPIN = "wrong-pin-3141-5926"

    static func fleet() async throws -> TestFleet {
        let primary = try await SoftHSMFixture.shared.makeToken("prp")
        let dr = try await SoftHSMFixture.shared.makeToken("prd")
        for token in [primary, dr] {
            try await SoftHSMFixture.shared.module().loggedInSession(token).installTestTransportKey()
        }
        var secondary = TestFleet.Member("dr-1", role: "secondary", token: dr)
        secondary.pin = Self.wrongPIN
        return try TestFleet(members: [.init("primary-1", role: "primary", token: primary), secondary])
    }

    @Test(
        "audit, inventory and reconcile: PIN REFUSED, the PIN source named, a next step about the PIN; the PIN never shown"
    )
    func refusedPIN() async throws {
        let fleet = try await Self.fleet()
        let source = "file:\(fleet.directory.path("dr-1.pin"))"

        let audit = try fleet.hsmsync(["audit", "--fleet", fleet.path])
        #expect(audit.status == 3, "\(audit)")
        #expect(!audit.stdout.contains("UNREACHABLE"), "\(audit)")
        #expect(audit.stdout.contains("PIN REFUSED"), "\(audit)")
        #expect(audit.stdout.contains("dr-1: the token refused the PIN from \(source) (CKR_PIN_INCORRECT)"), "\(audit)")
        #expect(audit.stdout.contains("next step: Put this token's user PIN in \(source)"), "\(audit)")
        #expect(!audit.stdout.contains("network"), "not a network problem: \(audit)")

        let json = try fleet.hsmsync(["audit", "--fleet", fleet.path, "--json"])
        let report = try AuditCommandTests.json(json)
        let hsms = try #require(report["hsms"] as? [[String: Any]])
        #expect(hsms.map { $0["state"] as? String } == ["ok", "pin-refused"])
        let finding = try #require((report["findings"] as? [[String: Any]])?.first { $0["hsm"] as? String == "dr-1" })
        #expect((finding["nextStep"] as? String)?.contains(source) == true, "\(finding)")

        let inventory = try fleet.hsmsync(["inventory", "--fleet", fleet.path])
        #expect(
            inventory.stdout.contains("dr-1 (secondary, site-a): PIN REFUSED: the token refused the PIN from \(source)")
        )

        let reconcile = try fleet.hsmsync(["reconcile", "--fleet", fleet.path, "--json"])
        let failures = try #require(try AuditCommandTests.json(reconcile)["failures"] as? [[String: Any]])
        #expect(failures.map { $0["reason"] as? String } == ["pin-refused"], "\(reconcile)")

        for result in [audit, json, inventory, reconcile] {
            #expect(!(result.stdout + result.stderr).contains(Self.wrongPIN), "the PIN itself was shown")
        }
    }
}
