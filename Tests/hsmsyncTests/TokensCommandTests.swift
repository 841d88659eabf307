import Foundation
import HSMSyncTesting
import PKCS11
import Testing

/// Writing a fleet file without pkcs11-tool (issue 13 item 11): `tokens --module` lists each token
/// with its URI, `--hsm` takes that URI, `inventory` shows each object's URI, and `log show`
/// filters by fleet, action, time and tail.
@Suite("tokens, token URIs and log show filters")
struct TokensCommandTests {
    @Test(
        "tokens --module lists the token with its URI; that URI works in a fleet file and for --hsm; inventory shows object URIs"
    )
    func tokensAndURIs() async throws {
        let token = try await SoftHSMFixture.shared.makeToken("tk-a")
        try await SoftHSMFixture.shared.module().loggedInSession(token).importTestAESKey(
            label: "k one", id: [0x01, 0xAB], value: TestMaterial.aesKey(3))
        let module = SoftHSMConfiguration.modulePath
        let environment = SoftHSMFixture.shared.environment

        let json = try CommandRunner.hsmsync(["tokens", "--module", module, "--json"], environment: environment)
        #expect(json.status == 0, "\(json)")
        let document = try AuditCommandTests.json(json)
        let tokens = try #require(document["tokens"] as? [[String: Any]])
        let listed = try #require(tokens.first { $0["label"] as? String == token.label }, "\(tokens)")
        let serial = try #require(listed["serial"] as? String)
        let uri = "pkcs11:token=\(token.label);serial=\(serial)"
        #expect(listed["uri"] as? String == uri)
        #expect(listed["initialized"] as? Bool == true)
        let text = try CommandRunner.hsmsync(["tokens", "--module", module], environment: environment)
        #expect(text.status == 0 && text.stdout.contains(uri), "\(text)")

        let fleet = try TestFleet(members: [
            .init("primary-1", role: "primary", tokenURI: uri, module: module, pin: token.userPIN)
        ])
        let inventory = try fleet.hsmsync(["inventory", "--fleet", fleet.path, "--hsm", uri, "--json"])
        #expect(inventory.status == 0, "\(inventory)")
        let hsms = try #require(try AuditCommandTests.json(inventory)["hsms"] as? [[String: Any]])
        let objects = try #require(hsms.first?["objects"] as? [[String: Any]])
        let objectURI = "\(uri);object=k%20one;id=%01%AB;type=secret-key"
        #expect(objects.contains { $0["uri"] as? String == objectURI }, "\(objects.map { $0["uri"] ?? "-" })")
        let table = try fleet.hsmsync(["inventory", "--fleet", fleet.path, "--hsm", "pkcs11:serial=\(serial)"])
        #expect(table.status == 0 && table.stdout.contains(objectURI), "\(table)")
        let unknown = try fleet.hsmsync(["inventory", "--fleet", fleet.path, "--hsm", "pkcs11:token=nowhere"])
        #expect(unknown.status == 2 && unknown.stderr.contains("selects no single HSM"), "\(unknown)")
    }

    @Test("log show --fleet, --action GLOB, --since, --tail")
    func logShowFilters() async throws {
        let directory = try LogCommandTests.makeLog()
        func show(_ arguments: [String]) throws -> [[String: Any]] {
            let result = try LogCommandTests.run(["show", "log", "--json"] + arguments, in: directory)
            #expect(result.status == 0, "\(result)")
            return try #require(try LogCommandTests.json(result.stdout)["entries"] as? [[String: Any]])
        }
        #expect(try show([]).count == 2)
        #expect(try show(["--action", "log.n*"]).map { $0["index"] as? Int } == [1])
        #expect(try show(["--tail", "1"]).map { $0["index"] as? Int } == [1])
        #expect(try show(["--since", "2000-01-01"]).count == 2)
        #expect(try show(["--since", "2999-01-01T00:00:00Z"]).isEmpty)
        let bad = try LogCommandTests.run(["show", "log", "--since", "yesterday"], in: directory)
        #expect(bad.status == 2, "\(bad)")

        let token = try await SoftHSMFixture.shared.makeToken("tk-l")
        let fleet = try TestFleet(
            members: [.init("primary-1", role: "primary", token: token)], extra: TestFleet.fileKeyLog)
        #expect(try fleet.initializeLog(origin: "test.example/tk-l").status == 0)
        let shown = try fleet.hsmsync(["log", "show", "--fleet", fleet.path, "--tail", "1"])
        #expect(shown.status == 0 && shown.stdout.contains("log."), "\(shown)")
    }
}
