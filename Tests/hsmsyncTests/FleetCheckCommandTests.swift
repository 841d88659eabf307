import Foundation
import HSMSyncTesting
import PKCS11
import SecureMemory
import Testing

/// `hsmsync fleet check`, run as an operator runs it: the real binary, exit codes, stdout/stderr.
@Suite("hsmsync fleet check")
struct FleetCheckCommandTests {
    static func threeTokens() async throws -> (TestToken, TestToken, TestToken) {
        let fixture = SoftHSMFixture.shared
        return (
            try await fixture.makeToken("fc-p"), try await fixture.makeToken("fc-m"),
            try await fixture.makeToken("fc-d")
        )
    }

    @Test("A three-HSM fleet: one JSON document with token, login, mechanisms and transport key; exit 0")
    func jsonReport() async throws {
        let (primary, member, dr) = try await Self.threeTokens()
        // The primary holds a transport key; the others do not.
        let session = try await SoftHSMFixture.shared.module().loggedInSession(primary)
        _ = try session.generateKey(
            .aesKeyGen,
            template: [
                .class(.secretKey), .keyType(.aes), .ulong(.valueLength, 32), .bool(.token, true),
                .label("hsmsync-transport"), .bool(.wrap, true), .bool(.unwrap, true), .bool(.extractable, false),
            ])
        let fleet = try TestFleet(members: [
            .init("primary-1", role: "primary", token: primary),
            .init("member-1", role: "member", token: member),
            .init("dr-1", role: "secondary", token: dr, site: "site-b"),
        ])
        let result = try fleet.hsmsync(["fleet", "check", "--fleet", fleet.path, "--json"])
        #expect(result.status == 0, "\(result)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(json["fleet"] as? String == "test-fleet")
        #expect(json["status"] as? String == "ok")
        let hsms = try #require(json["hsms"] as? [[String: Any]])
        #expect(hsms.map { $0["name"] as? String } == ["primary-1", "member-1", "dr-1"])
        #expect(hsms.map { $0["role"] as? String } == ["primary", "member", "secondary"])
        #expect(hsms[2]["site"] as? String == "site-b")
        for (hsm, token) in zip(hsms, [primary, member, dr]) {
            #expect(hsm["reachable"] as? Bool == true)
            #expect(hsm["login"] as? String == "ok")
            #expect(hsm["module"] as? String == SoftHSMConfiguration.modulePath)
            let summary = try #require(hsm["token"] as? [String: Any])
            #expect(summary["label"] as? String == token.label)
            #expect(summary["serial"] as? String == token.serialNumber)
            #expect(summary["model"] as? String == "SoftHSM v2")
            let mechanisms = try #require(hsm["mechanisms"] as? [[String: Any]])
            #expect(
                mechanisms.map { $0["name"] as? String } == [
                    "CKM_AES_KEY_WRAP", "CKM_AES_KEY_WRAP_PAD", "CKM_AES_CMAC", "CKM_ECDSA", "CKM_EDDSA",
                    "CKM_ECDH1_DERIVE",
                    "CKM_RSA_PKCS_OAEP",
                ])
            let wrap = try #require(mechanisms.first)
            #expect(wrap["flags"] as? [String] == ["wrap", "unwrap"])
            let derive = try #require(mechanisms.first { $0["name"] as? String == "CKM_ECDH1_DERIVE" })
            #expect((derive["flags"] as? [String])?.contains("derive") == true)
            #expect(hsm["error"] == nil || hsm["error"] is NSNull)
        }
        let states = hsms.map { ($0["transportKey"] as? [String: Any])?["state"] as? String }
        #expect(states == ["present", "absent", "absent"])
        #expect(result.stderr.isEmpty, "\(result.stderr)")
    }

    @Test("Human output names every HSM and its token")
    func humanOutput() async throws {
        let (primary, member, _) = try await Self.threeTokens()
        let fleet = try TestFleet(members: [
            .init("primary-1", role: "primary", token: primary), .init("member-1", role: "member", token: member),
        ])
        let result = try fleet.hsmsync(["fleet", "check", "--fleet", fleet.path])
        #expect(result.status == 0, "\(result)")
        #expect(result.stdout.contains("primary-1 (primary, site-a): ok"))
        #expect(result.stdout.contains("\"\(member.label)\"  serial \(member.serialNumber)"))
        #expect(result.stdout.contains("CKM_AES_KEY_WRAP_PAD  wrap,unwrap"))
    }

    @Test("A module path that does not exist: exit 3 with the path and dlerror's text")
    func missingModule() async throws {
        let (primary, _, _) = try await Self.threeTokens()
        let fleet = try TestFleet(members: [
            .init("primary-1", role: "primary", token: primary),
            .init("vendor-1", role: "member", tokenURI: "pkcs11:token=x", module: "/opt/vendor/libnothing.so"),
        ])
        let result = try fleet.hsmsync(["fleet", "check", "--fleet", fleet.path])
        #expect(result.status == 3, "\(result)")
        #expect(result.stdout.contains("vendor-1 (member, site-a): UNREACHABLE"))
        #expect(
            result.stdout.contains(
                "/opt/vendor/libnothing.so: cannot open shared object file: No such file or directory"))
        #expect(result.stdout.contains("primary-1 (primary, site-a): ok"), "the other HSM is still checked")
    }

    @Test("A library that is not a PKCS#11 module: exit 3 naming it")
    func notAModule() async throws {
        let library = try #require(
            [
                "/usr/lib/x86_64-linux-gnu/libz.so.1", "/lib/x86_64-linux-gnu/libz.so.1",
                "/usr/lib/aarch64-linux-gnu/libz.so.1",
            ]
            .first(where: FileManager.default.fileExists(atPath:)))
        let fleet = try TestFleet(members: [
            .init("odd-1", role: "primary", tokenURI: "pkcs11:token=x", module: library)
        ])
        let result = try fleet.hsmsync(["fleet", "check", "--fleet", fleet.path, "--json"])
        #expect(result.status == 3, "\(result)")
        #expect(result.stdout.contains("is not a PKCS#11 module"))
    }

    @Test("A URI matching no token: exit 3 naming the HSM; matching several: exit 2")
    func tokenSelection() async throws {
        let (primary, _, _) = try await Self.threeTokens()
        let none = try TestFleet(members: [
            .init("primary-1", role: "primary", token: primary),
            .init(
                "ghost-1", role: "secondary", tokenURI: "pkcs11:token=no-such-token",
                module: SoftHSMConfiguration.modulePath),
        ])
        let missing = try none.hsmsync(["fleet", "check", "--fleet", none.path])
        #expect(missing.status == 3, "\(missing)")
        #expect(missing.stdout.contains("ghost-1 (secondary, site-a): UNREACHABLE"))
        #expect(missing.stdout.contains("no token matches pkcs11:token=no-such-token"))

        let several = try TestFleet(members: [
            .init(
                "any-1", role: "primary", tokenURI: "pkcs11:model=SoftHSM%20v2", module: SoftHSMConfiguration.modulePath
            )
        ])
        let ambiguous = try several.hsmsync(["fleet", "check", "--fleet", several.path])
        #expect(ambiguous.status == 2, "\(ambiguous)")
        #expect(ambiguous.stdout.contains("tokens match pkcs11:model=SoftHSM%20v2"))
        #expect(ambiguous.stdout.contains("any-1"))
    }

    @Test("Two fleet entries for the same token: exit 2")
    func sameTokenTwice() async throws {
        let (primary, _, _) = try await Self.threeTokens()
        var second = TestFleet.Member("again-1", role: "member", token: primary)
        second.token = "pkcs11:serial=\(primary.serialNumber)"
        let fleet = try TestFleet(members: [.init("primary-1", role: "primary", token: primary), second])
        let result = try fleet.hsmsync(["fleet", "check", "--fleet", fleet.path])
        #expect(result.status == 2, "\(result)")
        #expect(result.stdout.contains("selects the same token as primary-1"))
    }

    @Test("A wrong PIN: one login attempt, exit 3, the PIN never printed")
    func wrongPIN() async throws {
        let (primary, member, _) = try await Self.threeTokens()
        var bad = TestFleet.Member("member-1", role: "member", token: member)
        bad.pin = "Wr0ngPinValue"
        let fleet = try TestFleet(members: [.init("primary-1", role: "primary", token: primary), bad])
        let result = try fleet.hsmsync(["fleet", "check", "--fleet", fleet.path])
        #expect(result.status == 3, "\(result)")
        #expect(result.stdout.contains("member-1 (member, site-a): FAILED"))
        #expect(result.stdout.contains("CKR_PIN_INCORRECT"))
        #expect(result.stdout.contains("one attempt was made"))
        #expect(!result.stdout.contains("Wr0ngPinValue") && !result.stderr.contains("Wr0ngPinValue"))
        let json = try fleet.hsmsync(["fleet", "check", "--fleet", fleet.path, "--json"])
        #expect(!json.stdout.contains("Wr0ngPinValue"))
        // SoftHSM2 now flags the failed attempt; the next run warns about it.
        #expect(json.stderr.contains("CKF_USER_PIN_COUNT_LOW"))
    }

    @Test("A PIN source that cannot deliver: exit 2 before any HSM is touched")
    func pinSources() async throws {
        let (primary, _, _) = try await Self.threeTokens()
        var fromEnvironment = TestFleet.Member("primary-1", role: "primary", token: primary)
        fromEnvironment.pinSource = "env:HSMSYNC_TEST_PIN_UNSET"
        fromEnvironment.module = "/nonexistent/would-be-exit-3.so"
        let fleet = try TestFleet(members: [fromEnvironment])
        let missing = try fleet.hsmsync(["fleet", "check", "--fleet", fleet.path])
        #expect(missing.status == 2, "\(missing)")
        #expect(missing.stderr.contains("environment variable HSMSYNC_TEST_PIN_UNSET is not set"))

        var fromFile = TestFleet.Member("primary-1", role: "primary", token: primary)
        fromFile.pinSource = "file:missing.pin"
        fromFile.module = "/nonexistent/would-be-exit-3.so"
        let fileFleet = try TestFleet(members: [fromFile])
        let unreadable = try fileFleet.hsmsync(["fleet", "check", "--fleet", fileFleet.path])
        #expect(unreadable.status == 2, "\(unreadable)")
        #expect(unreadable.stderr.contains("missing.pin"))

        // The same PIN from the environment works.
        var good = TestFleet.Member("primary-1", role: "primary", token: primary)
        good.pinSource = "env:HSMSYNC_TEST_PIN"
        let envFleet = try TestFleet(members: [good])
        let ok = try envFleet.hsmsync(
            ["fleet", "check", "--fleet", envFleet.path], environment: ["HSMSYNC_TEST_PIN": primary.userPIN])
        #expect(ok.status == 0, "\(ok)")
    }

    @Test(
        "Invalid fleet files: exit 2 with the YAML path, no module loaded",
        arguments: [
            ("name: [broken\n", "fleet.yaml:"),
            (
                "name: x\nhsms:\n  - {name: a, role: primary, module: /nonexistent/m.so, token: \"pkcs11:token=a\", pin: prompt, extra: 1}\n",
                "hsms[0].extra: unknown key"
            ),
            (
                "name: x\nhsms:\n  - {name: a, role: primary, module: /nonexistent/m.so, token: \"pkcs11:token=a\", pin: prompt}\n  - {name: a, role: member, module: /nonexistent/m.so, token: \"pkcs11:token=b\", pin: prompt}\n",
                "duplicate HSM name"
            ),
            (
                "name: x\nhsms:\n  - {name: a, role: primary, module: /nonexistent/m.so, pin: prompt}\n",
                "hsms[0].token: required key"
            ),
            (
                "name: x\nhsms:\n  - {name: a, role: primary, module: /nonexistent/m.so, token: \"token=a\", pin: prompt}\n",
                "hsms[0].token: invalid PKCS#11 URI"
            ),
        ])
    func invalidFleetFiles(yaml: String, message: String) throws {
        let directory = try TemporaryDirectory(prefix: "badfleet")
        let path = directory.path("fleet.yaml")
        try yaml.write(toFile: path, atomically: true, encoding: .utf8)
        let result = try CommandRunner.hsmsync(["fleet", "check", "--fleet", path])
        // A loaded module would have failed with exit 3 and a dlopen message: exit 2 proves it never was.
        #expect(result.status == 2, "\(result)")
        #expect(result.stderr.contains(message), "\(result)")
        #expect(!result.stderr.contains("cannot load PKCS#11 module"))
        #expect(result.stdout.isEmpty)
    }

    @Test("A missing fleet file and bad usage: exit 2")
    func usage() throws {
        let missing = try CommandRunner.hsmsync(["fleet", "check", "--fleet", "/nonexistent/fleet.yaml"])
        #expect(missing.status == 2, "\(missing)")
        #expect(missing.stderr.contains("/nonexistent/fleet.yaml"))
        let noFleet = try CommandRunner.hsmsync(["fleet", "check"])
        #expect(noFleet.status == 2, "\(noFleet)")
        #expect(noFleet.stderr.contains("--fleet"))
    }

    @Test("A p11-kit server that is not running: unreachable (exit 3), never an empty HSM")
    func serverNotRunning() async throws {
        let directory = try TemporaryDirectory(prefix: "p11kit")
        var remote = TestFleet.Member(
            "remote-1", role: "primary", tokenURI: "pkcs11:token=remote", module: SoftHSMConfiguration.p11KitClientPath)
        remote.server = "unix:path=\(directory.path("nobody.sock"))"
        let fleet = try TestFleet(members: [remote])
        let result = try fleet.hsmsync(["fleet", "check", "--fleet", fleet.path, "--json"])
        #expect(result.status == 3, "\(result)")
        #expect(result.stdout.contains("HSM unreachable"))
        #expect(result.stdout.contains("is the p11-kit server at unix:path="))
    }

    @Test(
        "An HSM behind a running p11-kit server is checked through p11-kit-client.so; without key wrap it can replicate with nobody: degraded, exit 1"
    )
    func throughServer() async throws {
        let directory = try TemporaryDirectory(prefix: "p11kit")
        let configuration = try SoftHSMConfiguration(directory: directory.url.appendingPathComponent("remote"))
        try configuration.initializeToken(label: "remote")
        let server = try P11KitServer(
            configuration: configuration, tokenLabel: "remote", socketPath: directory.path("r.sock"))
        var remote = TestFleet.Member(
            "remote-1", role: "primary", tokenURI: "pkcs11:token=remote", module: SoftHSMConfiguration.p11KitClientPath)
        remote.server = server.address
        let fleet = try TestFleet(members: [remote])
        let result = try fleet.hsmsync(["fleet", "check", "--fleet", fleet.path, "--json"])
        #expect(result.status == 1, "\(result)")
        // p11-kit 0.24.1's remoting filters key wrap, CMAC, EdDSA and ECDH: the check shows it.
        let json = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(json["status"] as? String == "degraded")
        let hsm = try #require((json["hsms"] as? [[String: Any]])?.first)
        #expect((hsm["degraded"] as? String)?.contains("no wrap method") == true, "\(result)")
        #expect(hsm["login"] as? String == "ok")
        let mechanisms = try #require((json["hsms"] as? [[String: Any]])?.first?["mechanisms"] as? [[String: Any]])
        let available = Dictionary(
            uniqueKeysWithValues: mechanisms.map { ($0["name"] as! String, $0["available"] as! Bool) })
        #expect(available["CKM_AES_KEY_WRAP"] == false)
        #expect(available["CKM_RSA_PKCS_OAEP"] == true)
        #expect(available["CKM_ECDSA"] == true)
    }
}
