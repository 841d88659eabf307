import Foundation
import Glibc
import HSMSyncTesting
import PKCS11
import Testing

/// Starting, checking, reloading and stopping `hsmsync serve`: refusals with exit 2 and the YAML
/// path, the missed-run rule, SIGHUP, and SIGTERM in the middle of an automatic sync.
@Suite("hsmsync serve: lifecycle (SoftHSM2)", .serialized)
struct ServiceLifecycleTests {
    static func fleetFile(_ fixture: ServiceFixture) throws -> String {
        try String(contentsOfFile: fixture.fleet.path, encoding: .utf8)
    }

    static func rewrite(_ fixture: ServiceFixture, _ transform: (String) -> String) throws {
        try transform(try fleetFile(fixture)).write(toFile: fixture.fleet.path, atomically: true, encoding: .utf8)
    }

    @Test("serve --check passes a good configuration and refuses bad ones with exit 2 and the YAML path")
    func checkAndRefusals() async throws {
        let fixture = try await ServiceFixture("svc-chk")
        let good = try fixture.fleet.hsmsync(["serve", "--fleet", fixture.fleet.path, "--check"])
        #expect(good.status == 0 && good.stdout.contains("ok: hsmsync serve can start"), "\(good)")
        let original = try Self.fleetFile(fixture)
        let cases: [(String, String, String)] = [
            ("interval: 2s", "interval: soon", "service.sync.interval"),
            ("listen: 127.0.0.1:0", "listen: 0.0.0.0:8443", "plain HTTP is allowed on loopback only"),
            ("listen: 127.0.0.1:0", "listen: 127.0.0.1:99999", "service.listen"),
            (
                "  tokens: file:api-tokens.yaml\n",
                "  tokens: file:api-tokens.yaml\n  schedule: {audit: \"61 2 * * *\"}\n", "service.schedule.audit"
            ),
            ("  tokens: file:api-tokens.yaml\n", "  tokens: file:api-tokens.yaml\n  colour: blue\n", "colour"),
            (
                "  tokens: file:api-tokens.yaml\n",
                "  tokens: file:api-tokens.yaml\n  database: postgres://u:secret@db/x\n", "databasePassword"
            ),
            (
                "  tokens: file:api-tokens.yaml\n",
                "  tokens: file:api-tokens.yaml\n  database: postgres://u@db/x?sslmode=prefer\n",
                "sslmode must be disable, require or verify-full"
            ),
            (
                "  tokens: file:api-tokens.yaml\n",
                "  tokens: file:api-tokens.yaml\n  database: postgres://u@db/x?sslmode=require&sslrootcert=ca.pem\n",
                "sslrootcert needs sslmode=verify-full"
            ),
            (
                "  tokens: file:api-tokens.yaml\n",
                "  tokens: file:api-tokens.yaml\n  database: postgres://u@db/x?password=secret\n",
                "unknown URL parameter password"
            ),
            (
                "  tokens: file:api-tokens.yaml\n",
                "  tokens: file:api-tokens.yaml\n  schedule: {drill: \"0 3 * * 0\"}\n", "service.schedule.drill"
            ),
        ]
        for (from, to, expected) in cases {
            try original.replacingOccurrences(of: from, with: to).write(
                toFile: fixture.fleet.path, atomically: true, encoding: .utf8)
            for arguments in [["--check"], []] {
                let result = try fixture.fleet.hsmsync(["serve", "--fleet", fixture.fleet.path] + arguments)
                #expect(result.status == 2, "\(to) \(arguments): \(result)")
                #expect(result.stderr.contains(expected), "\(to): \(result)")
                #expect(!result.stderr.contains("secret"), "the database password was echoed: \(result)")
            }
        }
        try original.write(toFile: fixture.fleet.path, atomically: true, encoding: .utf8)
    }

    @Test("A database written by a newer hsmsync is refused, not migrated downwards")
    func newerSchemaRefused() async throws {
        let fixture = try await ServiceFixture("svc-schema", log: false)
        let service = try fixture.start()
        #expect(service.stop().status == 0)
        let database = fixture.fleet.directory.path("hsmsync-state/hsmsync.sqlite")
        let bumped = try CommandRunner.run(
            URL(fileURLWithPath: "/usr/bin/env"),
            [
                "python3", "-c",
                "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute(\"UPDATE hsmsync_schema SET version=99, written_by='9.9.9'\"); c.commit()",
                database,
            ])
        try #require(bumped.status == 0, "\(bumped)")
        let refused = try fixture.fleet.hsmsync(["serve", "--fleet", fixture.fleet.path])
        #expect(refused.status == 2, "\(refused)")
        #expect(refused.stderr.contains("schema version 99") && refused.stderr.contains("9.9.9"), "\(refused)")
        #expect(refused.stderr.contains("never migrates a database downwards"), "\(refused)")
    }

    @Test("A scheduled audit missed while the service was down runs once at start, and not again after a restart")
    func missedRunRunsOnce() async throws {
        // Daily at midnight UTC: missed today by a fresh database (unless the test runs across midnight).
        let fixture = try await ServiceFixture(
            "svc-sched", service: "  sync: {mode: plan, interval: 60s}\n  schedule: {audit: \"0 0 * * *\"}\n")
        let first = try fixture.start()
        try await ServiceProcess.waitUntil(timeout: .seconds(60), "the catch-up audit") {
            let audits = try await first.json("GET", "/v1/audits", token: fixture.readerToken).object["audits"]
            return (audits as? [[String: Any]])?.first?["state"] as? String == "succeeded"
        }
        #expect(first.stop().status == 0)
        let second = try fixture.start()
        // The scheduler logs that it is ready once it has decided whether a run was missed.
        try await ServiceProcess.waitUntil(timeout: .seconds(30), "the restarted scheduler") {
            !second.events("audit schedule ready").isEmpty
        }
        let audits = try #require(
            try await second.json("GET", "/v1/audits", token: fixture.readerToken).object["audits"] as? [[String: Any]])
        #expect(audits.count == 1, "\(audits)")
        #expect((audits.first?["requestedBy"] as? String)?.hasPrefix("schedule (missed ") == true, "\(audits)")
        #expect(second.stop().status == 0)
        let entries = try String(
            contentsOfFile: fixture.fleet.directory.path("audit-log/entries.jsonl"), encoding: .utf8)
        #expect(entries.components(separatedBy: "\"audit.parity\"").count - 1 == 1, "the audit is in the signed log")
    }

    @Test("SIGHUP: a broken fleet file is refused and the old configuration kept; a good one is taken")
    func reloadOnHangup() async throws {
        let fixture = try await ServiceFixture("svc-hup")
        let service = try fixture.start()
        defer { service.stop() }
        let original = try Self.fleetFile(fixture)
        let added = try ServiceFixture.addToken(fixture.fleet, name: "late", role: "reader")
        try (original + "  colour: blue\n").write(toFile: fixture.fleet.path, atomically: true, encoding: .utf8)
        kill(service.processIdentifier, SIGHUP)
        try await ServiceProcess.waitUntil(
            timeout: .seconds(30), "the refusal", state: { service.log.suffix(5).joined(separator: "\n") }
        ) {
            !service.events("SIGHUP: the fleet file was refused; the service keeps the configuration it had").isEmpty
        }
        #expect(try await service.request("GET", "/v1/status", token: fixture.readerToken).status == 200)
        #expect(try await service.request("GET", "/v1/status", token: added).status == 401, "not read before SIGHUP")
        try original.write(toFile: fixture.fleet.path, atomically: true, encoding: .utf8)
        kill(service.processIdentifier, SIGHUP)
        try await ServiceProcess.waitUntil(timeout: .seconds(30), "the reload") {
            !service.events("fleet file reloaded").isEmpty
        }
        #expect(try await service.request("GET", "/v1/status", token: added).status == 200, "the new token works")
    }

    @Test("SIGTERM during an automatic sync of 500 keys: exit 0 within 10 s; after a restart, recovery and parity")
    func sigtermDuringSync() async throws {
        let fixture = try await ServiceFixture("svc-term", service: "  sync: {mode: automatic, interval: 1s}\n")
        let session = try await SoftHSMFixture.shared.module().loggedInSession(fixture.primary)
        for index in 0..<500 {
            try session.importTestAESKey(
                label: "k-\(index)", id: [UInt8(index >> 8), UInt8(index & 0xff)],
                value: TestMaterial.aesKey(UInt8(index % 251)),
                wrapWithTrusted: false)
        }
        let service = try fixture.start()
        try await ServiceProcess.waitUntil(
            timeout: .seconds(120), "the automatic sync to start",
            state: { service.log.suffix(10).joined(separator: "\n") }
        ) {
            !service.events("automatic sync").isEmpty
        }
        let stopped = service.stop(signal: SIGTERM, timeout: .seconds(20))
        #expect(stopped.status == 0, "\(service.log.suffix(20).joined(separator: "\n"))")
        #expect(stopped.seconds <= 10, "took \(stopped.seconds) s to stop")
        let interrupted = service.events("run finished").contains {
            ($0["run"] as? String)?.hasPrefix("sync-") == true && $0["state"] as? String == "failed"
        }
        #expect(interrupted, "the sync had ended before SIGTERM: this run proved nothing about interruption")

        let restarted = try fixture.start()
        defer { restarted.stop() }
        try await ServiceProcess.waitUntil(
            timeout: .seconds(300), "all 500 keys everywhere, parity",
            state: { await restarted.text("/v1/status", token: fixture.readerToken) }
        ) {
            let status = try await restarted.json("GET", "/v1/status", token: fixture.readerToken).object
            let keys =
                try await restarted.json("GET", "/v1/keys", token: fixture.readerToken).object["keys"]
                as? [[String: Any]]
            return status["status"] as? String == "parity" && keys?.count == 500
                && keys?.allSatisfy { $0["presentEverywhereAt"] != nil } == true
        }
        for (hsm, labels, objects) in try fixture.labels(startingWith: "k-") {
            #expect(labels.count == 500 && Set(labels).count == 500, "\(hsm): \(labels.count) keys")
            #expect(objects == 501, "\(hsm): \(objects) objects (no orphans, no duplicates)")
        }
    }
}
