import Foundation
import Glibc
import HSMSyncTesting
import PKCS11
import Testing

/// Several `hsmsync serve` instances on one PostgreSQL database: leader election, failover and
/// fencing. Timed against a lease, so they run in a pass of their own (Scripts/test), not beside
/// hundreds of parallel tests.
@Suite("hsmsync serve: several instances on PostgreSQL")
struct ServiceHighAvailabilityTests {
    @Test(
        "Three instances on one database: one leads; followers serve reads and answer POST with 409 naming the leader; kill -9 the leader and another leads within the lease time plus one renewal"
    )
    func failover() async throws {
        let (fixture, _, _) = try await ServicePostgreSQLTests.fixture("svc-pg-ha", lease: "5s")
        var instances: [String: ServiceProcess] = [:]
        for name in ["svc-pg-ha-1", "svc-pg-ha-2", "svc-pg-ha-3"] {
            try ServicePostgreSQLTests.setInstance(name, in: fixture)
            instances[name] = try fixture.start()
        }
        func roles() async throws -> [String: String] {
            var roles: [String: String] = [:]
            for (name, service) in instances where service.isRunning {
                let status = try await service.json("GET", "/v1/status", token: fixture.readerToken).object
                roles[name] = status["role"] as? String
            }
            return roles
        }
        var leader = ""
        try await ServiceProcess.waitUntil(timeout: .seconds(30), "exactly one leader") {
            let now = try await roles()
            leader = now.first { $0.value == "leader" }?.key ?? ""
            return now.values.filter { $0 == "leader" }.count == 1 && now.count == 3
        }
        let follower = try #require(instances.first { $0.key != leader }?.value)
        let refused = try await follower.json("POST", "/v1/audits", token: fixture.operatorToken)
        #expect(refused.status == 409, "\(refused)")
        #expect((refused.object["leader"] as? [String: Any])?["instance"] as? String == leader, "\(refused)")
        #expect((refused.object["error"] as? [String: Any])?["code"] as? String == "not-leader", "\(refused)")
        #expect(try await follower.request("GET", "/v1/audits", token: fixture.readerToken).status == 200)

        let killed = ContinuousClock.now
        #expect(instances[leader]!.stop(signal: SIGKILL).status != 0)
        var next = ""
        try await ServiceProcess.waitUntil(timeout: .seconds(30), "a new leader") {
            next = try await roles().first { $0.value == "leader" }?.key ?? ""
            return !next.isEmpty
        }
        let failover = ContinuousClock.now - killed
        print("failover after kill -9 of the leader (lease 5 s, renewal every 1.7 s): \(failover)")
        #expect(failover < .seconds(5 + 2 + 3), "lease + one renewal (+ 3 s for polling and a loaded machine)")
        let accepted = try await instances[next]!.json("POST", "/v1/audits", token: fixture.operatorToken)
        #expect(accepted.status == 202, "\(accepted)")
        for (name, service) in instances where name != leader {
            #expect(service.stop().status == 0)
        }
    }

    @Test(
        "kill -STOP the leader in the middle of an automatic sync, past its lease; another leads; kill -CONT: the old leader's next write is refused by the epoch check; every key reaches every HSM once, and the log verifies"
    )
    func pausedLeaderIsFenced() async throws {
        let (fixture, _, _) = try await ServicePostgreSQLTests.fixture(
            "svc-pg-fence", lease: "5s", sync: "{mode: automatic, interval: 1s}", log: true)
        let session = try await SoftHSMFixture.shared.module().loggedInSession(fixture.primary)
        for index in 0..<500 {
            try session.importTestAESKey(
                label: "k-\(index)", id: [UInt8(index >> 8), UInt8(index & 0xff)],
                value: TestMaterial.aesKey(UInt8(index % 251)), wrapWithTrusted: false)
        }
        try ServicePostgreSQLTests.setInstance("svc-pg-fence-1", in: fixture)
        let first = try fixture.start()
        defer { first.stop(signal: SIGKILL) }
        // Copying has begun when the journal holds the first batch's intents (it is emptied when a
        // run ends with nothing pending): the leader passed its fence and is mid-sync.
        let journal = fixture.fleet.directory.path("hsmsync-state/journal.jsonl")
        try await ServiceProcess.waitUntil(
            timeout: .seconds(120), "the first instance's automatic sync to be copying",
            state: { first.log.suffix(10).joined(separator: "\n") }
        ) {
            ((try? FileManager.default.attributesOfItem(atPath: journal)[.size] as? Int) ?? 0) > 0
        }
        try ServicePostgreSQLTests.setInstance("svc-pg-fence-2", in: fixture)
        let second = try fixture.start()
        defer { second.stop() }
        kill(first.processIdentifier, SIGSTOP)
        try await ServiceProcess.waitUntil(timeout: .seconds(30), "the second instance to lead") {
            let status = try await second.json("GET", "/v1/status", token: fixture.readerToken).object
            return status["role"] as? String == "leader"
        }
        kill(first.processIdentifier, SIGCONT)
        try await ServiceProcess.waitUntil(
            timeout: .seconds(60), "the old leader's write refused by the epoch check",
            state: { first.log.suffix(20).joined(separator: "\n") }
        ) {
            !first.events("write refused by the epoch check").isEmpty
        }
        try await ServiceProcess.waitUntil(
            timeout: .seconds(300), "all 500 keys everywhere, parity, under the new leader",
            state: { await second.text("/v1/status", token: fixture.readerToken) }
        ) {
            let status = try await second.json("GET", "/v1/status", token: fixture.readerToken).object
            let keys =
                try await second.json("GET", "/v1/keys", token: fixture.readerToken).object["keys"] as? [[String: Any]]
            return status["status"] as? String == "parity" && keys?.count == 500
                && keys?.allSatisfy { $0["presentEverywhereAt"] != nil } == true
        }
        #expect(first.events("automatic sync").count >= 1)
        #expect(second.stop().status == 0)
        #expect(first.stop().status == 0)
        for (hsm, labels, _) in try fixture.labels(startingWith: "k-") {
            #expect(labels.count == 500 && Set(labels).count == 500, "\(hsm): \(labels.count) keys")
        }
        let verified = try fixture.fleet.hsmsync(["log", "verify", fixture.fleet.directory.path("audit-log")])
        #expect(verified.status == 0, "\(verified)")
    }

    @Test(
        "reconcile --apply by hand while the leader syncs: refused (exit 3) naming the service instance, also from another state.dir (another host); once the sync is done it runs"
    )
    func handWorkWaitsForTheService() async throws {
        let (fixture, _, _) = try await ServicePostgreSQLTests.fixture(
            "svc-pg-hand", lease: "5s", sync: "{mode: automatic, interval: 1s}")
        let session = try await SoftHSMFixture.shared.module().loggedInSession(fixture.primary)
        for index in 0..<500 {
            try session.importTestAESKey(
                label: "k-\(index)", id: [UInt8(index >> 8), UInt8(index & 0xff)],
                value: TestMaterial.aesKey(UInt8(index % 251)), wrapWithTrusted: false)
        }
        let service = try fixture.start()
        defer { service.stop() }
        let journal = fixture.fleet.directory.path("hsmsync-state/journal.jsonl")
        try await ServiceProcess.waitUntil(timeout: .seconds(120), "the automatic sync to be copying") {
            ((try? FileManager.default.attributesOfItem(atPath: journal)[.size] as? Int) ?? 0) > 0
        }
        // The same fleet as another host sees it: its own state.dir, so the lock file is no help.
        let elsewhere = fixture.fleet.directory.path("fleet-elsewhere.yaml")
        let text = try String(contentsOfFile: fixture.fleet.path, encoding: .utf8)
        try (text + "\nstate:\n  dir: elsewhere-state\n").write(toFile: elsewhere, atomically: true, encoding: .utf8)
        let refused = try fixture.fleet.hsmsync(["reconcile", "--fleet", elsewhere, "--apply"])
        #expect(refused.status == 3, "\(refused)")
        #expect(refused.stderr.contains("the fleet is locked in the state database"), "\(refused)")
        #expect(refused.stderr.contains("by hsmsync serve svc-pg-hand-1"), "\(refused)")
        #expect(
            !FileManager.default.fileExists(atPath: fixture.fleet.directory.path("elsewhere-state/journal.jsonl")),
            "refused before its journal was opened")

        try await ServiceProcess.waitUntil(
            timeout: .seconds(300), "all 500 keys everywhere",
            state: { await service.text("/v1/status", token: fixture.readerToken) }
        ) {
            let keys =
                try await service.json("GET", "/v1/keys", token: fixture.readerToken).object["keys"] as? [[String: Any]]
            return keys?.count == 500 && keys?.allSatisfy { $0["presentEverywhereAt"] != nil } == true
        }
        let after = try fixture.fleet.hsmsync(["reconcile", "--fleet", elsewhere, "--apply"])
        #expect(after.status == 0, "\(after)")
        #expect(service.stop().status == 0)
    }
}
