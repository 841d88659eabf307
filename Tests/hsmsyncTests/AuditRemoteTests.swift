import Foundation
import HSMSyncTesting
import PKCS11
import Testing

/// The audit with an HSM in another process, behind `p11-kit server`: faults and filtered mechanisms.
@Suite("hsmsync audit with remote HSMs (p11-kit)")
struct AuditRemoteTests {
    /// A SoftHSM2 token of its own configuration, behind a p11-kit server.
    static func remote(_ directory: TemporaryDirectory, label: String) throws -> P11KitServer {
        let configuration = try SoftHSMConfiguration(directory: directory.url.appendingPathComponent(label))
        try configuration.initializeToken(label: label)
        return try P11KitServer(
            configuration: configuration, tokenLabel: label, socketPath: directory.path("\(label).sock"))
    }

    /// Runs `body` with a session on the remote token, through p11-kit's client module.
    static func onRemote(_ server: P11KitServer, label: String, _ body: (borrowing Session) throws -> Void) async throws
    {
        let module = try await ModuleRegistry().module(
            path: SoftHSMConfiguration.p11KitClientPath, serverAddress: server.address)
        let session = try module.loggedInSession(TestToken(label: label))
        try body(session)
    }

    static func remoteMember(_ server: P11KitServer, label: String) -> TestFleet.Member {
        var member = TestFleet.Member(
            "remote-1", role: "secondary", tokenURI: "pkcs11:token=\(label)",
            module: SoftHSMConfiguration.p11KitClientPath)
        member.server = server.address
        return member
    }

    @Test(
        "A p11-kit server killed in the middle of the audit: that HSM unreachable, the others reported, exit 3",
        .timeLimit(.minutes(2)))
    func serverKilledMidAudit() async throws {
        let directory = try TemporaryDirectory(prefix: "midaudit")
        let server = try Self.remote(directory, label: "remote-kill")
        try await Self.onRemote(server, label: "remote-kill") { session in
            for index in 0..<300 {
                _ = try session.createObject([
                    .class(.data), .bool(.token, true), .label("data-\(index)"), .bytes(.value, [UInt8(index & 0xff)]),
                ])
            }
        }
        let primary = try await SoftHSMFixture.shared.makeToken("mid-p")
        try await SoftHSMFixture.shared.module().loggedInSession(primary).importTestAESKey(
            label: "ca", id: [1], value: TestMaterial.aesKey(1))
        let fleet = try TestFleet(members: [
            .init("primary-1", role: "primary", token: primary), Self.remoteMember(server, label: "remote-kill"),
        ])
        let flag = directory.path("resume")
        // The scan of remote-1 pauses after 256 objects; the server dies; the scan resumes.
        // The audit runs on a thread of its own and this test polls without suspending: with other
        // tests' child processes holding the cooperative pool, a task could wait minutes for a turn
        // while the paused audit waits for the kill.
        let audit = ChildRun()
        Thread.detachNewThread {
            audit.result = Result {
                try fleet.hsmsync(
                    ["audit", "--fleet", fleet.path, "--json"],
                    environment: ["HSMSYNC_TEST_PAUSE_SCAN": "remote-1:256:\(flag)"])
            }
            audit.done.signal()
        }
        let deadline = Date().addingTimeInterval(60)
        while !FileManager.default.fileExists(atPath: flag + ".paused") && Date() < deadline {
            usleep(20_000)
        }
        #expect(FileManager.default.fileExists(atPath: flag + ".paused"), "the scan never reached the pause")
        server.kill()
        _ = FileManager.default.createFile(atPath: flag, contents: nil)
        try #require(audit.done.wait(timeout: .now() + 120) == .success, "the audit never ended after the kill")
        let result = try #require(audit.result).get()

        #expect(result.status == 3, "\(result)")
        #expect(!result.wasSignalled, "the process must survive a dead server (SIGPIPE)")
        let json = try AuditCommandTests.json(result)
        #expect(json["status"] as? String == "error")
        let findings = try AuditCommandTests.findings(result)
        // Never "everything missing on remote-1": it is unreachable, and the primary is still audited.
        #expect(findings.contains("unreachable remote-1 - -"))
        #expect(!findings.contains { $0.hasPrefix("missing remote-1") })
        #expect(findings.contains("transport-missing primary-1 - -"))
        let hsms = try #require(json["hsms"] as? [[String: Any]])
        #expect(hsms.map { $0["reachable"] as? Bool } == [true, false])
        #expect((hsms[1]["error"] as? String)?.contains("CKR_DEVICE_ERROR") == true, "\(hsms[1])")
    }

    @Test("A p11-kit server that is down is unreachable, never an empty HSM with every key missing")
    func serverDown() async throws {
        let directory = try TemporaryDirectory(prefix: "down")
        let server = try Self.remote(directory, label: "remote-down")
        server.kill()
        let primary = try await SoftHSMFixture.shared.makeToken("down-p")
        try await SoftHSMFixture.shared.module().loggedInSession(primary).importTestAESKey(
            label: "ca", id: [1], value: TestMaterial.aesKey(1))
        let fleet = try TestFleet(members: [
            .init("primary-1", role: "primary", token: primary), Self.remoteMember(server, label: "remote-down"),
        ])
        let result = try fleet.hsmsync(["audit", "--fleet", fleet.path, "--json"])
        #expect(result.status == 3, "\(result)")
        #expect(
            try AuditCommandTests.findings(result) == ["transport-missing primary-1 - -", "unreachable remote-1 - -"])
        #expect(result.stdout.contains("HSM unreachable"))
    }

    @Test(
        "CMAC and key wrap filtered by p11-kit remoting: the fingerprint is unavailable and said so, not a mismatch; CKA_UNWRAP_TEMPLATE, which the remoting cannot carry, is a policy finding"
    )
    func filteredMechanism() async throws {
        let directory = try TemporaryDirectory(prefix: "filtered")
        let server = try Self.remote(directory, label: "remote-cmac")
        try await Self.onRemote(server, label: "remote-cmac") { session in
            try session.installTestTransportKey()
            try session.importTestAESKey(label: "ca-signing", id: [1], value: TestMaterial.aesKey(1))
        }
        let primary = try await SoftHSMFixture.shared.makeToken("cmac-p")
        try await AuditCommandTests.on(primary) { session in
            try session.installTestTransportKey()
            try session.importTestAESKey(label: "ca-signing", id: [1], value: TestMaterial.aesKey(1))
        }
        let fleet = try TestFleet(members: [
            .init("primary-1", role: "primary", token: primary), Self.remoteMember(server, label: "remote-cmac"),
        ])
        let result = try fleet.hsmsync(["audit", "--fleet", fleet.path, "--json"])
        #expect(result.status == 0, "\(result)")
        let json = try AuditCommandTests.json(result)
        // p11-kit 0.24's remoting cannot carry a nested template either: the capability probe's session
        // key with CKA_UNWRAP_TEMPLATE fails (CKR_DEVICE_ERROR), and the audit says so as policy, not drift.
        let details = (json["findings"] as? [[String: Any]] ?? []).map { "\($0["kind"] ?? "") \($0["detail"] ?? "")" }
        #expect(details.count == 1, "\(details)")
        #expect(
            details.first?.hasPrefix("policy the token does not store CKA_UNWRAP_TEMPLATE") == true
                && details.first?.contains("CKR_DEVICE_ERROR") == true, "\(details)")
        let notCompared = try #require(json["notCompared"] as? [[String: Any]])
        #expect(notCompared.count == 1)
        let reason = notCompared.first?["reason"] as? String ?? ""
        #expect(reason.hasPrefix("no fingerprint on remote-1"))
        #expect(reason.contains("CKM_AES_CMAC not offered"))
        let transport = (try #require(json["hsms"] as? [[String: Any]]))[1]["transport"] as? [String: Any]
        #expect(transport?["checkValueUnavailable"] as? String == "the token does not offer CKM_AES_KEY_WRAP")
        let human = try fleet.hsmsync(["audit", "--fleet", fleet.path])
        #expect(human.stdout.contains("material not compared (never counted as a mismatch): 1"))
    }
}

/// A child run on its own thread: `result` is written before `done` is signalled, read after.
private final class ChildRun: @unchecked Sendable {
    let done = DispatchSemaphore(value: 0)
    var result: Result<ProcessResult, any Error>?
}
