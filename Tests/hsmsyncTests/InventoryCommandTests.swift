import Foundation
import HSMSyncTesting
import PKCS11
import Testing

@Suite("hsmsync inventory (SoftHSM2)")
struct InventoryCommandTests {
    @Test("JSON: every object with class, type, size, label, ID, usage, flags, provenance and fingerprint")
    func json() async throws {
        let token = try await SoftHSMFixture.shared.makeToken("inv-j")
        try await AuditCommandTests.on(token) { session in
            try session.installTestTransportKey()
            try session.importTestAESKey(label: "db-master", id: [0xab, 0x01], value: TestMaterial.aesKey(1))
            try session.importTestECPair(label: "ca-root", id: [2], key: TestMaterial.ecKey(2))
        }
        let fleet = try TestFleet(members: [.init("primary-1", role: "primary", token: token)])
        let result = try fleet.hsmsync(["inventory", "--fleet", fleet.path, "--json"])
        #expect(result.status == 0, "\(result)")
        let json = try AuditCommandTests.json(result)
        let hsm = try #require((json["hsms"] as? [[String: Any]])?.first)
        #expect(hsm["objectCount"] as? Int == 4)
        let objects = try #require(hsm["objects"] as? [[String: Any]])
        let aes = try #require(objects.first { $0["label"] as? String == "db-master" })
        #expect(aes["objectClass"] as? String == "secret-key")
        #expect(aes["keyType"] as? String == "aes")
        #expect(aes["size"] as? Int == 256)
        #expect(aes["id"] as? String == "ab01")
        #expect(aes["usage"] as? [String] == ["sign", "verify"])
        let attributes = try #require(aes["attributes"] as? [String: Any])
        #expect(attributes["extractable"] as? Bool == true)
        #expect(attributes["sensitive"] as? Bool == true)
        #expect(attributes["wrapWithTrusted"] as? Bool == true)
        #expect((aes["provenance"] as? [String: Any])?["local"] as? Bool == false)
        #expect((aes["fingerprint"] as? [String: Any])?["method"] as? String == "cmac")
        let privateKey = try #require(objects.first { $0["objectClass"] as? String == "private-key" })
        let publicKey = try #require(objects.first { $0["objectClass"] as? String == "public-key" })
        #expect((privateKey["fingerprint"] as? [String: Any])?["method"] as? String == "spki")
        #expect(
            (privateKey["fingerprint"] as? [String: Any])?["sha256"] as? String
                == (publicKey["fingerprint"] as? [String: Any])?["sha256"] as? String)
        #expect(privateKey["curve"] as? String == "P-256")
        #expect((hsm["transport"] as? [String: Any])?["checkValue"] as? String != nil)
    }

    @Test("Human table with flag columns; --hsm selects; an unknown --hsm is exit 2")
    func table() async throws {
        let tokens = [
            try await SoftHSMFixture.shared.makeToken("inv-a"), try await SoftHSMFixture.shared.makeToken("inv-b"),
        ]
        try await AuditCommandTests.on(tokens[0]) { session in
            try session.importTestAESKey(
                label: "wrapped-db-key", id: [1], value: TestMaterial.aesKey(1), wrapWithTrusted: false)
        }
        let fleet = try TestFleet(members: [
            .init("a-1", role: "primary", token: tokens[0]), .init("b-1", role: "secondary", token: tokens[1]),
        ])
        let result = try fleet.hsmsync(["inventory", "--fleet", fleet.path, "--hsm", "a-1"])
        #expect(result.status == 0, "\(result)")
        #expect(result.stdout.contains("a-1 (primary, site-a): token \"\(tokens[0].label)\""))
        #expect(!result.stdout.contains("b-1 ("))
        #expect(result.stdout.contains("CLASS   TYPE  SIZE  FLAGS  LABEL"))
        #expect(result.stdout.contains("secret  aes   256   xsi-m  wrapped-db-key  01"))
        #expect(result.stdout.contains("transport key \"hsmsync-transport\": absent"))

        let unknown = try fleet.hsmsync(["inventory", "--fleet", fleet.path, "--hsm", "nope"])
        #expect(unknown.status == 2, "\(unknown)")
        #expect(unknown.stderr.contains("the fleet has no HSM named \"nope\" (it has: a-1, b-1)"))
    }

    @Test("An unreachable HSM: listed as such, the others inventoried, exit 3")
    func unreachable() async throws {
        let token = try await SoftHSMFixture.shared.makeToken("inv-u")
        let fleet = try TestFleet(members: [
            .init("a-1", role: "primary", token: token),
            .init("gone-1", role: "secondary", tokenURI: "pkcs11:token=gone", module: SoftHSMConfiguration.modulePath),
        ])
        let result = try fleet.hsmsync(["inventory", "--fleet", fleet.path])
        #expect(result.status == 3, "\(result)")
        #expect(result.stdout.contains("gone-1 (secondary, site-a): UNREACHABLE"))
        #expect(result.stdout.contains("a-1 (primary, site-a): token"))
    }
}
