import Foundation
import Glibc
import HSMSyncTesting
import PKCS11
import Testing

/// Several `hsmsync serve` instances on one PostgreSQL database: leader election, failover and
/// fencing. Timed against a lease, so they run in a pass of their own (Scripts/test), not beside
/// hundreds of parallel tests.
@Suite("hsmsync serve: several instances on PostgreSQL", .serialized)
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
        // Reads on a follower come from the same database as on the leader: compared in one run.
        for path in ["/v1/status", "/v1/keys", "/v1/audits"] {
            let onLeader = try await Self.readsPerSecond(instances[leader]!, path, fixture)
            let onFollower = try await Self.readsPerSecond(follower, path, fixture)
            print(
                String(
                    format: "read throughput GET %@: leader %.0f/s, follower %.0f/s (%.2f×)", path, onLeader,
                    onFollower,
                    onFollower / onLeader))
        }

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
        let fixture = try await Self.syncingFleet("svc-pg-fence", keys: 500)
        try ServicePostgreSQLTests.setInstance("svc-pg-fence-1", in: fixture)
        let first = try fixture.start()
        defer { first.stop(signal: SIGKILL) }
        try await Self.waitUntilCopying(fixture, first)
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
        try await Self.waitForParity(fixture, second, keys: 500)
        #expect(first.events("automatic sync").count >= 1)
        #expect(second.stop().status == 0)
        #expect(first.stop().status == 0)
        try Self.expectEveryKeyOnce(fixture, keys: 500)
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

    @Test(
        "kill -9 the leader in the middle of a 500-key sync: another leads within the lease and a renewal, recovers the interrupted batch; every key on every HSM once, parity, every intent resolved, the log verifies"
    )
    func leaderKilledMidSync() async throws {
        let fixture = try await Self.syncingFleet("svc-pg-kill", keys: 500)
        try ServicePostgreSQLTests.setInstance("svc-pg-kill-1", in: fixture)
        let first = try fixture.start()
        try ServicePostgreSQLTests.setInstance("svc-pg-kill-2", in: fixture)
        let second = try fixture.start()
        defer { second.stop() }
        try await Self.waitUntilCopying(fixture, first)
        let killed = ContinuousClock.now
        #expect(first.stop(signal: SIGKILL).status != 0)
        try await ServiceProcess.waitUntil(timeout: .seconds(30), "the second instance to lead") {
            let status = try await second.json("GET", "/v1/status", token: fixture.readerToken).object
            return status["role"] as? String == "leader"
        }
        print("failover after kill -9 mid-sync (lease 5 s): \(ContinuousClock.now - killed)")
        try await Self.waitForParity(fixture, second, keys: 500)
        #expect(second.stop().status == 0)
        try Self.expectEveryKeyOnce(fixture, keys: 500)
    }

    @Test(
        "PostgreSQL stopped for 30 s in the middle of a 500-key sync: readiness 503 meanwhile, the run is fenced and recorded failed once the database is back, the next run recovers; every key once, parity, the log verifies"
    )
    func databaseStoppedMidSync() async throws {
        let server = PostgreSQLServer()
        let (fixture, endpoint, database) = try await ServicePostgreSQLTests.fixture(
            "svc-pg-dbdown", server: server, lease: "5s", sync: "{mode: automatic, interval: 1s}", log: true)
        try await Self.importKeys(500, into: fixture)
        let service = try fixture.start()
        defer { service.stop() }
        try await Self.waitUntilCopying(fixture, service)
        try await server.stop()
        let stopped = ContinuousClock.now
        try await ServiceProcess.waitUntil(timeout: .seconds(30), "/readyz 503 with the database stopped") {
            try await service.request("GET", "/readyz").status == 503
        }
        try await ServiceProcess.waitUntil(timeout: .seconds(30), "the sync fenced without its database") {
            !service.events("write refused by the epoch check").isEmpty
        }
        try await Task.sleep(until: stopped + .seconds(30))
        try await server.start()
        try await ServiceProcess.waitUntil(timeout: .seconds(30), "/readyz 200 with the database back") {
            try await service.request("GET", "/readyz").status == 200
        }
        try await Self.waitForParity(fixture, service, keys: 500)
        let states = try await server.psql(
            endpoint, database: database,
            "SELECT count(*) FROM runs WHERE kind = 'sync' AND state IN ('queued', 'running')")
        #expect(states == "0", "no sync run is left running in the database")
        #expect(service.stop().status == 0)
        try Self.expectEveryKeyOnce(fixture, keys: 500)
    }

    @Test(
        "Random kill -9 of the leader during automatic sync, round after round (HSMSYNC_HA_ROUNDS, default 50), three instances: each round ends in parity; at the end every key is on every HSM once, every intent resolved, the log verifies; failover times reported"
    )
    func randomLeaderKills() async throws {
        let rounds = Int(ProcessInfo.processInfo.environment["HSMSYNC_HA_ROUNDS"] ?? "") ?? 50
        let keysPerRound = 12
        let (fixture, _, _) = try await ServicePostgreSQLTests.fixture(
            "svc-pg-rnd", lease: "3s", sync: "{mode: automatic, interval: 1s}", log: true)
        let names = ["svc-pg-rnd-1", "svc-pg-rnd-2", "svc-pg-rnd-3"]
        var instances: [String: ServiceProcess] = [:]
        for name in names {
            try ServicePostgreSQLTests.setInstance(name, in: fixture)
            instances[name] = try fixture.start()
        }
        defer { for service in instances.values { service.stop(signal: SIGKILL) } }
        let journal = fixture.fleet.directory.path("hsmsync-state/journal.jsonl")
        var failovers: [Duration] = []
        var midCopy = 0
        let budget = ContinuousClock.now + .seconds(30 * 60)

        for round in 1...rounds {
            try #require(ContinuousClock.now < budget, "round \(round) starts after the 30-minute budget")
            let leader = try await Self.leader(of: instances, fixture)
            try fixture.generate(
                on: "primary-1", label: "r\(round)", id: String(format: "%04x", round), type: "aes-256",
                count: keysPerRound)
            // Half the rounds kill the moment the leader has announced a batch (mid-copy, watched
            // from a thread of its own); the others after a random pause, wherever the sync is then.
            let pid = instances[leader]!.processIdentifier
            if Bool.random() {
                if await KillSwitch.kill(pid, timeout: .seconds(30), when: { KillSwitch.nonEmpty(journal) }) {
                    midCopy += 1
                }
            } else {
                try await Task.sleep(for: .milliseconds(Int.random(in: 0..<2_000)))
            }
            let killed = ContinuousClock.now
            instances[leader]!.stop(signal: SIGKILL)
            var next = ""
            try await ServiceProcess.waitUntil(timeout: .seconds(30), "round \(round): a new leader") {
                next = (try? await Self.leader(of: instances.filter { $0.key != leader }, fixture)) ?? ""
                return !next.isEmpty
            }
            failovers.append(ContinuousClock.now - killed)
            try ServicePostgreSQLTests.setInstance(leader, in: fixture)
            instances[leader] = try fixture.start()
            try await Self.waitForParity(fixture, instances[next]!, keys: round * keysPerRound, prefix: "r")
        }
        for (name, service) in instances {
            let stopped = service.stop()
            #expect(
                stopped.status == 0,
                "\(name) stopped after \(stopped.seconds) s; its last lines:\n\(service.log.suffix(15).joined(separator: "\n"))"
            )
        }
        instances = [:]
        try Self.expectEveryKeyOnce(fixture, keys: rounds * keysPerRound, prefix: "r")

        let sorted = failovers.sorted()
        let seconds = { (duration: Duration) in String(format: "%.2f s", duration.seconds) }
        print(
            "failover over \(rounds) random kills (lease 3 s; \(midCopy) mid-copy): min \(seconds(sorted.first!)), "
                + "median \(seconds(sorted[sorted.count / 2])), max \(seconds(sorted.last!))")
        #expect(sorted.last! < .seconds(3 + 1 + 5), "every failover within the lease, one renewal, and 5 s of slack")
    }

    /// GETs of `path` from four clients at once for two seconds (after a warm-up): requests per second.
    static func readsPerSecond(_ service: ServiceProcess, _ path: String, _ fixture: ServiceFixture) async throws
        -> Double
    {
        for _ in 0..<10 { _ = try await service.request("GET", path, token: fixture.readerToken) }
        let started = ContinuousClock.now
        let count = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<4 {
                group.addTask {
                    var done = 0
                    while ContinuousClock.now - started < .seconds(2) {
                        let status = try await service.request("GET", path, token: fixture.readerToken).status
                        try #require(status == 200, "GET \(path): HTTP \(status)")
                        done += 1
                    }
                    return done
                }
            }
            return try await group.reduce(0, +)
        }
        return Double(count) / (ContinuousClock.now - started).seconds
    }

    /// The one instance among `instances` that says it leads.
    static func leader(of instances: [String: ServiceProcess], _ fixture: ServiceFixture) async throws -> String {
        var leaders: [String] = []
        for (name, service) in instances where service.isRunning {
            let status = try await service.json("GET", "/v1/status", token: fixture.readerToken).object
            if status["role"] as? String == "leader" { leaders.append(name) }
        }
        guard leaders.count == 1 else { throw ServiceProcessError.timedOut("one leader; leaders now: \(leaders)") }
        return leaders[0]
    }

    /// A fleet on PostgreSQL with `lease: 5s`, automatic sync every second, a signed log, and
    /// `keys` AES keys on the primary waiting to be copied.
    static func syncingFleet(_ prefix: String, keys: Int) async throws -> ServiceFixture {
        let (fixture, _, _) = try await ServicePostgreSQLTests.fixture(
            prefix, lease: "5s", sync: "{mode: automatic, interval: 1s}", log: true)
        try await importKeys(keys, into: fixture)
        return fixture
    }

    static func importKeys(_ count: Int, into fixture: ServiceFixture) async throws {
        let session = try await SoftHSMFixture.shared.module().loggedInSession(fixture.primary)
        for index in 0..<count {
            try session.importTestAESKey(
                label: "k-\(index)", id: [UInt8(index >> 8), UInt8(index & 0xff)],
                value: TestMaterial.aesKey(UInt8(index % 251)), wrapWithTrusted: false)
        }
    }

    /// Copying has begun when the journal holds the first batch's intents (it is emptied when a run
    /// ends with nothing pending): the leader passed its fence and is mid-sync.
    static func waitUntilCopying(_ fixture: ServiceFixture, _ service: ServiceProcess) async throws {
        let journal = fixture.fleet.directory.path("hsmsync-state/journal.jsonl")
        try await ServiceProcess.waitUntil(
            timeout: .seconds(120), "the automatic sync to be copying",
            state: { service.log.suffix(10).joined(separator: "\n") }
        ) {
            ((try? FileManager.default.attributesOfItem(atPath: journal)[.size] as? Int) ?? 0) > 0
        }
    }

    static func waitForParity(
        _ fixture: ServiceFixture, _ service: ServiceProcess, keys: Int, prefix: String = "k-"
    ) async throws {
        try await ServiceProcess.waitUntil(
            timeout: .seconds(300), "all \(keys) keys everywhere, parity",
            state: { await service.text("/v1/status", token: fixture.readerToken) }
        ) {
            let status = try await service.json("GET", "/v1/status", token: fixture.readerToken).object
            let listed =
                try await service.json("GET", "/v1/keys", token: fixture.readerToken).object["keys"] as? [[String: Any]]
            let ours = listed?.filter { ($0["label"] as? String)?.hasPrefix(prefix) == true }
            return status["status"] as? String == "parity" && ours?.count == keys
                && listed?.allSatisfy { $0["presentEverywhereAt"] != nil } == true
        }
    }

    /// Each HSM holds every key once and nothing else but the transport key (no orphan, no
    /// duplicate); every `replicate.intent` in the log has its outcome; the log verifies.
    static func expectEveryKeyOnce(_ fixture: ServiceFixture, keys: Int, prefix: String = "k-") throws {
        for (hsm, labels, objects) in try fixture.labels(startingWith: prefix) {
            #expect(labels.count == keys && Set(labels).count == keys, "\(hsm): \(labels.count) keys")
            #expect(objects == keys + 1, "\(hsm): \(objects) objects")
        }
        let log = fixture.fleet.directory.path("audit-log")
        #expect(try ReconcileInterruptTests.intentsWithoutOutcome(log) == 0, "every replicate.intent resolved")
        let verified = try fixture.fleet.hsmsync(["log", "verify", log])
        #expect(verified.status == 0, "\(verified)")
    }
}
