import Crypto
import Foundation
import HSMSyncTesting
import PKCS11
import SecureMemory
import Testing

/// `hsmsync audit` on real SoftHSM2 tokens, through the binary: drifted fleets for every finding
/// kind and for the three topologies of the EJBCA guide, with the exact findings asserted.
@Suite("hsmsync audit (SoftHSM2)")
struct AuditCommandTests {
    /// The findings of an `audit --json` run as sorted "kind hsm reference label" lines (a key pair
    /// gives two lines with one label: the private and the public key object).
    static func findings(_ result: ProcessResult) throws -> [String] {
        let findings = try #require(try json(result)["findings"] as? [[String: Any]])
        return findings.map { finding in
            let key = finding["key"] as? [String: Any]
            let reference = finding["reference"] as? String ?? "-"
            return "\(finding["kind"]!) \(finding["hsm"]!) \(reference) \(key?["label"] as? String ?? "-")"
        }.sorted()
    }

    static func json(_ result: ProcessResult) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
    }

    static func tokens(_ names: String...) async throws -> [TestToken] {
        var tokens: [TestToken] = []
        for name in names { tokens.append(try await SoftHSMFixture.shared.makeToken(name)) }
        return tokens
    }

    /// Runs `body` with a logged-in session on `token` (sessions are noncopyable: one at a time).
    static func on(_ token: TestToken, _ body: (borrowing Session) throws -> Void) async throws {
        let session = try await SoftHSMFixture.shared.module().loggedInSession(token)
        try body(session)
    }

    @Test("A fleet in parity: exit 0, no finding, the DESIGN.md report shape")
    func parity() async throws {
        let tokens = try await Self.tokens("par-p", "par-m", "par-d")
        for token in tokens {
            try await Self.on(token) { session in
                try session.installTestTransportKey()
                try session.importTestAESKey(label: "ca-signing", id: [1], value: TestMaterial.aesKey(1))
                try session.importTestECPair(label: "ca-root", id: [2], key: TestMaterial.ecKey(2))
            }
        }
        let fleet = try TestFleet(members: [
            .init("primary-1", role: "primary", token: tokens[0]), .init("member-1", role: "member", token: tokens[1]),
            .init("dr-1", role: "secondary", token: tokens[2], site: "site-b"),
        ])
        let result = try fleet.hsmsync(["audit", "--fleet", fleet.path, "--json"])
        #expect(result.status == 0, "\(result)")
        let json = try Self.json(result)
        #expect(json["fleet"] as? String == "test-fleet")
        #expect(json["status"] as? String == "parity")
        #expect(json["generatedAt"] as? String != nil)
        #expect((json["findings"] as? [Any])?.isEmpty == true)
        let hsms = try #require(json["hsms"] as? [[String: Any]])
        #expect(hsms.map { $0["name"] as? String } == ["primary-1", "member-1", "dr-1"])
        #expect(hsms.map { $0["role"] as? String } == ["primary", "member", "secondary"])
        #expect(hsms.allSatisfy { $0["reachable"] as? Bool == true })
        #expect(hsms.map { $0["objects"] as? Int } == [4, 4, 4])
        #expect(hsms.map { $0["keysInScope"] as? Int } == [3, 3, 3])
        let checkValues = hsms.compactMap { ($0["transport"] as? [String: Any])?["checkValue"] as? String }
        #expect(checkValues.count == 3 && Set(checkValues).count == 1)
        #expect((json["notCompared"] as? [Any])?.isEmpty == true, "every key's material was compared")
    }

    @Test("Every key finding kind at once, exactly; a ghost is listed, not counted")
    func everyKind() async throws {
        let tokens = try await Self.tokens("all-p", "all-m", "all-d")
        for token in tokens {
            try await Self.on(token) { session in
                try session.installTestTransportKey()
                try session.importTestAESKey(label: "parity", id: [1], value: TestMaterial.aesKey(1))
                try session.importTestAESKey(
                    label: "risky", id: [9], value: TestMaterial.aesKey(9), wrapWithTrusted: false,
                    extra: [.bool(.decrypt, true), .bool(.wrap, true)])
                try session.importTestAESKey(label: "twice", id: [7], value: TestMaterial.aesKey(7))
            }
        }
        try await Self.on(tokens[0]) { primary in
            try primary.importTestAESKey(label: "only-primary", id: [2], value: TestMaterial.aesKey(2))
            try primary.importTestAESKey(label: "conflict", id: [5], value: TestMaterial.aesKey(5))
            try primary.importTestAESKey(label: "weaker", id: [6], value: TestMaterial.aesKey(6))
            try primary.importTestAESKey(label: "twice", id: [7], value: TestMaterial.aesKey(77))
            try primary.importTestAESKey(label: "locked", id: [8], value: TestMaterial.aesKey(8), extractable: false)
        }
        try await Self.on(tokens[1]) { member in
            try member.importTestAESKey(label: "only-member", id: [3], value: TestMaterial.aesKey(3))
            try member.importTestAESKey(label: "conflict", id: [5], value: TestMaterial.aesKey(55))
            try member.importTestAESKey(label: "weaker", id: [6], value: TestMaterial.aesKey(6))
            try member.importTestAESKey(label: "locked", id: [8], value: TestMaterial.aesKey(8), extractable: false)
        }
        try await Self.on(tokens[2]) { dr in
            try dr.importTestAESKey(label: "only-dr", id: [4], value: TestMaterial.aesKey(4))
            try dr.importTestAESKey(label: "conflict", id: [5], value: TestMaterial.aesKey(5))
            try dr.importTestAESKey(
                label: "weaker", id: [6], value: TestMaterial.aesKey(6), extra: [.bool(.verify, false)])
            // A ghost: SoftHSM2 keeps the object when the template fails after creation (SECURITY.md P14).
            _ = try? dr.createObject(
                [.class(.secretKey), .keyType(.aes), .bool(.token, true), .ulong(.valueLength, 16)],
                secretValue: SecretBytes(copying: TestMaterial.aesKey(10)))
        }

        let fleet = try TestFleet(members: [
            .init("primary-1", role: "primary", token: tokens[0]), .init("member-1", role: "member", token: tokens[1]),
            .init("dr-1", role: "secondary", token: tokens[2], site: "site-b"),
        ])
        let result = try fleet.hsmsync(["audit", "--fleet", fleet.path, "--json"])
        #expect(result.status == 1, "\(result)")
        #expect(
            try Self.findings(result)
                == [
                    "attribute-mismatch dr-1 primary-1 weaker",
                    "duplicate primary-1 - twice",
                    "extra dr-1 - only-dr",
                    "material-mismatch member-1 primary-1 conflict",
                    "missing dr-1 member-1 only-member",
                    "missing dr-1 primary-1 locked",
                    "missing dr-1 primary-1 only-primary",
                    "missing member-1 primary-1 only-primary",
                    "missing primary-1 member-1 only-member",
                    "policy dr-1 - risky",
                    "policy member-1 - risky",
                    "policy primary-1 - risky",
                    "unsyncable primary-1 - locked",
                ])
        let json = try Self.json(result)
        let odd = try #require(json["oddObjects"] as? [[String: Any]])
        #expect(odd.count == 1 && odd.first?["hsm"] as? String == "dr-1")
        #expect(json["status"] as? String == "drift")

        let human = try fleet.hsmsync(["audit", "--fleet", fleet.path])
        #expect(human.status == 1)
        #expect(human.stdout.contains("material-mismatch: 1"))
        #expect(human.stdout.contains("next step: Two different keys share one identity"))
        #expect(human.stdout.contains("policy: 3 (not counted as drift without --strict-policy)"))
    }

    @Test("Transport key findings: absent, a different key, breaking the rules, two objects")
    func transport() async throws {
        let tokens = try await Self.tokens("tr-p", "tr-m", "tr-d1", "tr-d2", "tr-d3")
        try await Self.on(tokens[0]) { try $0.installTestTransportKey() }
        try await Self.on(tokens[2]) { try $0.installTestTransportKey(TestMaterial.otherTransportKey) }
        try await Self.on(tokens[3]) { try $0.installTestTransportKey(extra: [.bool(.decrypt, true)]) }
        try await Self.on(tokens[4]) { session in
            try session.installTestTransportKey()
            try session.installTestTransportKey()
        }
        let fleet = try TestFleet(members: [
            .init("primary-1", role: "primary", token: tokens[0]), .init("member-1", role: "member", token: tokens[1]),
            .init("dr-1", role: "secondary", token: tokens[2]), .init("dr-2", role: "secondary", token: tokens[3]),
            .init("dr-3", role: "secondary", token: tokens[4]),
        ])
        let result = try fleet.hsmsync(["audit", "--fleet", fleet.path, "--json"])
        #expect(result.status == 1, "\(result)")
        #expect(
            try Self.findings(result)
                == [
                    "transport-mismatch dr-1 primary-1 -", "transport-mismatch dr-2 - -", "transport-mismatch dr-3 - -",
                    "transport-missing member-1 - -",
                ])
        #expect(result.stdout.contains("the transport key may also decrypt"))
        #expect(result.stdout.contains("2 objects carry the transport label"))
    }

    @Test("Failover / DR: one primary, one idle secondary")
    func failoverTopology() async throws {
        let tokens = try await Self.tokens("fo-p", "fo-d")
        for token in tokens {
            try await Self.on(token) { session in
                try session.installTestTransportKey()
                try session.importTestECPair(label: "ca-root", id: [1], key: TestMaterial.ecKey(1))
            }
        }
        try await Self.on(tokens[0]) {
            try $0.importTestECPair(label: "ca-issuing", id: [2], key: TestMaterial.ecKey(2))
        }
        try await Self.on(tokens[1]) { try $0.importTestAESKey(label: "stray", id: [3], value: TestMaterial.aesKey(3)) }
        let fleet = try TestFleet(members: [
            .init("primary-1", role: "primary", token: tokens[0]),
            .init("dr-1", role: "secondary", token: tokens[1], site: "site-b"),
        ])
        let result = try fleet.hsmsync(["audit", "--fleet", fleet.path, "--json"])
        #expect(result.status == 1, "\(result)")
        // The pair's two objects go missing; only the (non-extractable) private key is unsyncable.
        #expect(
            try Self.findings(result)
                == [
                    "extra dr-1 - stray", "missing dr-1 primary-1 ca-issuing", "missing dr-1 primary-1 ca-issuing",
                    "unsyncable primary-1 - ca-issuing",
                ])
    }

    @Test("Cluster: two members; a key created on either must reach the other")
    func clusterTopology() async throws {
        let tokens = try await Self.tokens("cl-a", "cl-b")
        for token in tokens {
            try await Self.on(token) { session in
                try session.installTestTransportKey()
                try session.importTestAESKey(label: "shared", id: [1], value: TestMaterial.aesKey(1))
            }
        }
        try await Self.on(tokens[0]) {
            try $0.importTestAESKey(label: "made-on-a", id: [2], value: TestMaterial.aesKey(2))
        }
        try await Self.on(tokens[1]) {
            try $0.importTestAESKey(label: "made-on-b", id: [3], value: TestMaterial.aesKey(3))
        }
        let fleet = try TestFleet(members: [
            .init("member-a", role: "member", token: tokens[0]), .init("member-b", role: "member", token: tokens[1]),
        ])
        let result = try fleet.hsmsync(["audit", "--fleet", fleet.path, "--json"])
        #expect(result.status == 1, "\(result)")
        #expect(
            try Self.findings(result) == ["missing member-a member-b made-on-b", "missing member-b member-a made-on-a"])
    }

    @Test("Mixed: two members at the primary site and a DR secondary")
    func mixedTopology() async throws {
        let tokens = try await Self.tokens("mx-1", "mx-2", "mx-d")
        for token in tokens {
            try await Self.on(token) { session in
                try session.installTestTransportKey()
                try session.importTestAESKey(label: "shared", id: [1], value: TestMaterial.aesKey(1))
            }
        }
        try await Self.on(tokens[1]) {
            try $0.importTestAESKey(label: "new-on-member-2", id: [2], value: TestMaterial.aesKey(2))
        }
        try await Self.on(tokens[2]) {
            try $0.importTestAESKey(label: "only-dr", id: [3], value: TestMaterial.aesKey(3))
        }
        let fleet = try TestFleet(members: [
            .init("member-1", role: "member", token: tokens[0]), .init("member-2", role: "member", token: tokens[1]),
            .init("dr-1", role: "secondary", token: tokens[2], site: "site-b"),
        ])
        let result = try fleet.hsmsync(["audit", "--fleet", fleet.path, "--json"])
        #expect(result.status == 1, "\(result)")
        #expect(
            try Self.findings(result)
                == [
                    "extra dr-1 - only-dr", "missing dr-1 member-2 new-on-member-2",
                    "missing member-1 member-2 new-on-member-2",
                ])
    }

    @Test("A key copied by C_UnwrapKey (SoftHSM2 then reports no CKA_VALUE_LEN) is in parity, not missing or odd")
    func unwrappedCopyIsParity() async throws {
        let tokens = try await Self.tokens("unw-p", "unw-d")
        let module = try await SoftHSMFixture.shared.module()
        let source = try module.loggedInSession(tokens[0])
        let target = try module.loggedInSession(tokens[1])
        let sourceKEK = try source.installTestTransportKey()
        let targetKEK = try target.installTestTransportKey()
        let key = try source.importTestAESKey(
            label: "db-master", id: [1], value: TestMaterial.aesKey(1), wrapWithTrusted: false)
        let blob = try source.wrapKey(key, with: sourceKEK, mechanism: .aesKeyWrap)
        let copy = try target.unwrapKey(
            blob, with: targetKEK, mechanism: .aesKeyWrap,
            template: [
                .class(.secretKey), .keyType(.aes), .bool(.token, true), .bool(.private, true), .label("db-master"),
                .id([1]), .bool(.sensitive, true), .bool(.extractable, true), .bool(.wrapWithTrusted, false),
                .bool(.sign, true), .bool(.verify, true), .bool(.encrypt, false), .bool(.decrypt, false),
                .bool(.wrap, false), .bool(.unwrap, false), .bool(.derive, false),
            ])
        #expect(
            try target.attributes([.valueLength], of: copy).ulong(.valueLength) == 0,
            "SoftHSM2 2.6.1 behaviour changed?")
        let fleet = try TestFleet(members: [
            .init("primary-1", role: "primary", token: tokens[0]), .init("dr-1", role: "secondary", token: tokens[1]),
        ])
        let result = try fleet.hsmsync(["audit", "--fleet", fleet.path, "--json"])
        #expect(result.status == 0, "\(result)")
        #expect(try Self.findings(result) == ["policy dr-1 - db-master", "policy primary-1 - db-master"])
        let json = try Self.json(result)
        #expect((json["oddObjects"] as? [Any])?.isEmpty == true)
        #expect((json["notCompared"] as? [Any])?.isEmpty == true, "the copy's material was compared (transport wrap)")
    }

    @Test("--out writes a Markdown report and --metrics Prometheus text, atomically")
    func reportsAndMetrics() async throws {
        let tokens = try await Self.tokens("rm-p", "rm-d")
        try await Self.on(tokens[0]) { session in
            try session.installTestTransportKey()
            try session.importTestAESKey(label: "only-primary", id: [1], value: TestMaterial.aesKey(1))
        }
        try await Self.on(tokens[1]) { try $0.installTestTransportKey() }
        let fleet = try TestFleet(members: [
            .init("primary-1", role: "primary", token: tokens[0]), .init("dr-1", role: "secondary", token: tokens[1]),
        ])
        let markdown = fleet.directory.path("report.md")
        let metrics = fleet.directory.path("hsmsync.prom")
        try "old".write(toFile: markdown, atomically: true, encoding: .utf8)
        let result = try fleet.hsmsync(["audit", "--fleet", fleet.path, "--out", markdown, "--metrics", metrics])
        #expect(result.status == 1, "\(result)")
        let report = try String(contentsOfFile: markdown, encoding: .utf8)
        #expect(report.hasPrefix("# HSM parity audit: test-fleet"))
        #expect(report.contains("| Status | **drift** |"))
        #expect(report.contains("### missing (1)"))
        #expect(report.contains("| dr-1 | primary-1 | secret-key \"only-primary\" (id 01) |"))
        let exposition = try String(contentsOfFile: metrics, encoding: .utf8)
        #expect(exposition.contains("hsmsync_audit_parity{fleet=\"test-fleet\"} 0"))
        #expect(exposition.contains("hsmsync_audit_findings{fleet=\"test-fleet\",kind=\"missing\"} 1"))
        #expect(
            exposition.contains(
                "hsmsync_hsm_reachable{fleet=\"test-fleet\",hsm=\"dr-1\",role=\"secondary\",site=\"site-a\"} 1"))
        #expect(exposition.contains("# TYPE hsmsync_audit_last_run_timestamp_seconds gauge"))
        // The status as a labelled state, one series per status (issue 13 item 10).
        for (status, value) in [("parity", 0), ("drift", 1), ("error", 0)] {
            #expect(exposition.contains("hsmsync_audit_state{fleet=\"test-fleet\",status=\"\(status)\"} \(value)"))
        }
        #expect(exposition.contains("# HELP hsmsync_audit_status Deprecated"), "kept one more release, said so")
        // A stable order: families sorted by name, each family's series sorted.
        let lines = exposition.split(separator: "\n").map(String.init)
        let families = lines.filter { $0.hasPrefix("# TYPE ") }.map { $0.split(separator: " ")[2] }
        #expect(families == families.sorted(), "\(families)")
        for family in families {
            let series = lines.filter { $0.hasPrefix("\(family){") || $0.hasPrefix("\(family) ") }
            #expect(series == series.sorted(), "\(series)")
        }
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: fleet.directory.url.path)
            .filter { $0.hasSuffix(".tmp") }
        #expect(leftovers.isEmpty)
    }

    @Test("A malformed fleet file: exit 2 before any HSM is touched")
    func malformed() throws {
        let directory = try TemporaryDirectory(prefix: "badfleet")
        let path = directory.path("fleet.yaml")
        try
            "name: x\nhsms:\n  - {name: a, role: primary, module: /nonexistent.so, token: \"pkcs11:token=a\", pin: prompt, typo: 1}\n"
            .write(toFile: path, atomically: true, encoding: .utf8)
        let result = try CommandRunner.hsmsync(["audit", "--fleet", path, "--json"])
        #expect(result.status == 2, "\(result)")
        #expect(result.stdout.isEmpty)
        #expect(result.stderr.contains("hsms[0].typo: unknown key"))
    }
}
