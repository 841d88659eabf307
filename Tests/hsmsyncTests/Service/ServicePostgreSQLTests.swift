import Foundation
import Glibc
import HSMSyncService
import HSMSyncTesting
import PKCS11
import Testing

/// `hsmsync serve` with its state in a real PostgreSQL server (started by the tests on loopback).
@Suite("hsmsync serve on PostgreSQL")
struct ServicePostgreSQLTests {
    /// A ServiceFixture whose `service.database` is a fresh database on the test server.
    static func fixture(
        _ prefix: String, server: PostgreSQLServer = .shared, lease: String? = nil,
        sync: String = "{mode: plan, interval: 60s}", log: Bool = false
    ) async throws -> (ServiceFixture, PostgreSQLServer.Endpoint, String) {
        let endpoint = try await server.endpoint()
        let database = try await server.makeDatabase()
        let fixture = try await ServiceFixture(
            prefix,
            service: "  sync: \(sync)\n  database: \(endpoint.url(database: database))\n"
                + "  databasePassword: file:\(endpoint.passwordFile)\n" + (lease.map { "  lease: \($0)\n" } ?? ""),
            log: log)
        return (fixture, endpoint, database)
    }

    @Test(
        "An audit run through the API is stored in PostgreSQL and still listed after a restart; the password is in nothing the service writes"
    )
    func runsSurviveRestart() async throws {
        let (fixture, endpoint, database) = try await Self.fixture("svc-pg")
        let password = try String(contentsOfFile: endpoint.passwordFile, encoding: .utf8)
            .trimmingCharacters(in: .newlines)
        let checked = try fixture.fleet.hsmsync(["serve", "--check", "--fleet", fixture.fleet.path])
        #expect(checked.status == 0, "\(checked)")
        #expect(checked.stdout.contains("connected, schema readable"), "\(checked)")

        let first = try fixture.start()
        let id = try await fixture.auditToCompletion(on: first)
        #expect(first.stop().status == 0)
        let stored = try await PostgreSQLServer.shared.psql(
            endpoint, database: database, "SELECT kind || ' ' || state || ' ' || instance FROM runs WHERE id = '\(id)'")
        #expect(stored == "audit succeeded svc-pg-1", "\(stored)")

        let second = try fixture.start()
        let audits = try await second.json("GET", "/v1/audits", token: fixture.readerToken)
        let listed = try #require(audits.object["audits"] as? [[String: Any]], "\(audits)")
        #expect(listed.map { $0["id"] as? String } == [id], "\(listed)")
        #expect(try await second.request("GET", "/readyz").status == 200)
        #expect(second.stop().status == 0)
        for line in first.log + second.log + [checked.stdout, checked.stderr] {
            #expect(!line.contains(password), "the database password appeared in: \(line)")
        }
    }

    /// Rewrites the fleet file's `instance:` (each instance started from it keeps the name it read).
    static func setInstance(_ name: String, in fixture: ServiceFixture) throws {
        let text = try String(contentsOfFile: fixture.fleet.path, encoding: .utf8)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { line in
            line.hasPrefix("  instance: ") ? "  instance: \(name)" : String(line)
        }
        try lines.joined(separator: "\n").write(toFile: fixture.fleet.path, atomically: true, encoding: .utf8)
    }

    @Test(
        "PostgreSQL stopped under a running service: /readyz 503 and POST /v1/audits 503 while it is down; once it is back, without a restart, readiness returns and an audit runs and is stored"
    )
    func databaseOutage() async throws {
        let server = PostgreSQLServer()
        let (fixture, endpoint, database) = try await Self.fixture("svc-pg-down", server: server)
        let service = try fixture.start()
        #expect(try await service.request("GET", "/readyz").status == 200)

        try await server.stop()
        try await ServiceProcess.waitUntil(timeout: .seconds(30), "/readyz 503 with the database stopped") {
            try await service.request("GET", "/readyz").status == 503
        }
        let refused = try await service.json("POST", "/v1/audits", token: fixture.operatorToken)
        #expect(refused.status == 503, "\(refused)")
        #expect((refused.object["error"] as? [String: Any])?["code"] as? String == "database-unavailable", "\(refused)")

        try await server.start()
        try await ServiceProcess.waitUntil(timeout: .seconds(30), "/readyz 200 with the database back") {
            try await service.request("GET", "/readyz").status == 200
        }
        _ = try await fixture.auditToCompletion(on: service)
        let stored = try await server.psql(endpoint, database: database, "SELECT count(*) FROM runs")
        #expect(stored == "1", "only the audit after the outage was recorded")
        #expect(service.stop().status == 0)
    }

    @Test(
        "PostgreSQL paused (SIGSTOP: connections open, nothing answers): /readyz answers 503 within the statement deadline instead of hanging; resumed, readiness returns and an audit runs, without a restart"
    )
    func databaseStalls() async throws {
        let server = PostgreSQLServer()
        let (fixture, _, _) = try await Self.fixture("svc-pg-stall", server: server)
        let service = try fixture.start()
        #expect(try await service.request("GET", "/readyz").status == 200)

        try await server.pause()
        let paused = ContinuousClock.now
        do {
            // Without a deadline the first check waits until TCP gives up (minutes), and the
            // request's own 60 s timeout fails the test.
            let first = try await service.request("GET", "/readyz").status
            let waited = ContinuousClock.now - paused
            #expect(first == 503, "readiness with the database paused")
            #expect(waited < .seconds(15 + 10), "within the statement deadline (15 s) and some slack: \(waited)")
            print("readiness 503 with PostgreSQL paused after \(waited)")
        } catch {
            try await server.resume()
            throw error
        }
        try await server.resume()
        try await ServiceProcess.waitUntil(timeout: .seconds(60), "/readyz 200 with the database resumed") {
            try await service.request("GET", "/readyz").status == 200
        }
        _ = try await fixture.auditToCompletion(on: service)
        #expect(service.stop().status == 0)
    }

    @Test("A wrong password: serve --check fails with PostgreSQL's reason (exit 3), never the password")
    func wrongPassword() async throws {
        let server = PostgreSQLServer.shared
        let endpoint = try await server.endpoint()
        let database = try await server.makeDatabase()
        let wrongFile = TemporaryDirectoryFile(contents: "not-the-password-4711\n")
        let fixture = try await ServiceFixture(
            "svc-pg-pw",
            service: "  database: \(endpoint.url(database: database))\n  databasePassword: file:\(wrongFile.path)\n",
            log: false)
        let checked = try fixture.fleet.hsmsync(["serve", "--check", "--fleet", fixture.fleet.path])
        #expect(checked.status == 3, "\(checked)")
        #expect(checked.stderr.contains("password authentication failed for user \"hsmsync\""), "\(checked)")
        #expect(!(checked.stdout + checked.stderr).contains("not-the-password-4711"), "\(checked)")
    }
}

/// A mode-0600 file in its own temporary directory, removed with the value.
final class TemporaryDirectoryFile: Sendable {
    let directory: TemporaryDirectory
    let path: String

    init(contents: String) {
        directory = try! TemporaryDirectory(prefix: "hsmsync-file")
        path = directory.path("secret")
        _ = FileManager.default.createFile(
            atPath: path, contents: Data(contents.utf8), attributes: [.posixPermissions: 0o600])
    }
}
