import Foundation
import HSMSyncModel
import HSMSyncService
import HSMSyncTesting
import Logging
import Testing

/// The state store's contract, run the same on both backends: SQLite in a temporary file and a
/// real PostgreSQL server on loopback.
@Suite("State store contract (SQLite, PostgreSQL)")
struct StateStoreContractTests {
    enum Backend: String, CaseIterable, CustomTestStringConvertible {
        case sqlite, postgres
        var testDescription: String { rawValue }
    }

    /// A fresh, empty database of `backend`, and what keeps it alive.
    static func location(_ backend: Backend) async throws -> (DatabaseLocation, PINSource?, Any) {
        switch backend {
        case .sqlite:
            let directory = try TemporaryDirectory(prefix: "hsmsync-store")
            return (.sqlite(path: directory.path("state.sqlite")), nil, directory)
        case .postgres:
            let endpoint = try await PostgreSQLServer.shared.endpoint()
            let database = try await PostgreSQLServer.shared.makeDatabase()
            return (
                .postgres(host: endpoint.host, port: endpoint.port, user: endpoint.user, database: database),
                .file(path: endpoint.passwordFile), endpoint
            )
        }
    }

    static let logger = Logger(label: "test")

    @Test(
        "Runs: insert, update, read back, list newest first with paging, fail abandoned; all kept across a reopen",
        arguments: Backend.allCases)
    func runs(_ backend: Backend) async throws {
        let (location, password, keep) = try await Self.location(backend)
        defer { withExtendedLifetime(keep) {} }
        let store = try await StateStore.open(location, password: password, client: "contract", logger: Self.logger)
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        var runs: [RunRecord] = []
        for index in 0..<5 {
            let kind: RunKind = index.isMultiple(of: 2) ? .audit : .sync
            let run = RunRecord(
                id: "run-\(index)", kind: kind, instance: "contract", requestedBy: "token:alice",
                queuedAt: start.addingTimeInterval(Double(index)))
            try await store.insert(run)
            runs.append(run)
        }
        var finished = runs[2]
        finished.state = .succeeded
        finished.startedAt = start.addingTimeInterval(2.5)
        finished.finishedAt = start.addingTimeInterval(3.25)
        finished.status = "parity"
        finished.count = 0
        finished.report = Array(#"{"status":"parity","ü":"ß"}"#.utf8)
        try await store.update(finished)

        #expect(try await store.run(id: "run-2") == finished)
        #expect(try await store.run(id: "nope") == nil)
        let audits = try await store.runs(kind: .audit, limit: 10)
        #expect(audits.map(\.id) == ["run-4", "run-2", "run-0"])
        #expect(audits.allSatisfy { $0.report == nil }, "lists leave reports out")
        #expect(try await store.runs(kind: nil, limit: 2, before: "run-3").map(\.id) == ["run-2", "run-1"])
        #expect(try await store.latestFinished(.audit)?.id == "run-2")
        #expect(try await store.lastQueued(.sync) == start.addingTimeInterval(3))

        try await store.failAbandonedRuns(instance: "contract", at: start.addingTimeInterval(10))
        let abandoned = try #require(try await store.run(id: "run-4"))
        #expect(abandoned.state == .failed && abandoned.error != nil, "\(abandoned)")
        #expect(try await store.run(id: "run-2")?.state == .succeeded)
        #expect(await store.ping())
        await store.close()

        let reopened = try await StateStore.open(
            location, password: password, client: "contract", logger: Self.logger)
        #expect(try await reopened.run(id: "run-2") == finished)
        #expect(try await reopened.runs(kind: nil, limit: 500).count == 5)
        await reopened.close()
    }

    @Test(
        "Leader lease: the first claim leads at epoch 1; a renewal keeps the epoch; another instance cannot take it until it lapses by the database's clock or is released, and then the epoch goes up; a deposed epoch is never confirmed",
        arguments: Backend.allCases)
    func lease(_ backend: Backend) async throws {
        let (location, password, keep) = try await Self.location(backend)
        defer { withExtendedLifetime(keep) {} }
        let store = try await StateStore.open(location, password: password, client: "a", logger: Self.logger)
        #expect(try await store.lease() == nil)
        let first = try await store.claimLease(instance: "a", epoch: nil, seconds: 30)
        #expect(first.holder == "a" && first.epoch == 1 && !first.lapsed, "\(first)")
        let renewed = try await store.claimLease(instance: "a", epoch: 1, seconds: 30)
        #expect(renewed.holder == "a" && renewed.epoch == 1 && renewed.expiresAt >= first.expiresAt, "\(renewed)")
        let refused = try await store.claimLease(instance: "b", epoch: nil, seconds: 30)
        #expect(refused.holder == "a" && refused.epoch == 1, "\(refused)")
        // "a" restarted: it no longer knows its epoch, so it waits like anyone else.
        #expect(try await store.claimLease(instance: "a", epoch: nil, seconds: 30).epoch == 1)
        #expect(try await store.confirmLease(instance: "a", epoch: 1, margin: 1))
        #expect(try await !store.confirmLease(instance: "a", epoch: 1, margin: 60), "less than the margin left")
        #expect(try await !store.confirmLease(instance: "b", epoch: 1, margin: 0))

        try await store.releaseLease(instance: "a", epoch: 1)
        let taken = try await store.claimLease(instance: "b", epoch: nil, seconds: 1)
        #expect(taken.holder == "b" && taken.epoch == 2, "\(taken)")
        #expect(try await !store.confirmLease(instance: "a", epoch: 1, margin: 0), "the old epoch is fenced")
        // Lapse by the database's clock: wait on the lease itself, not on a sleep of this host.
        let deadline = ContinuousClock.now + .seconds(30)
        while try await store.lease()?.lapsed != true {
            try #require(ContinuousClock.now < deadline, "the lease never lapsed")
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(try await !store.confirmLease(instance: "b", epoch: 2, margin: 0), "a lapsed lease confirms nothing")
        let again = try await store.claimLease(instance: "b", epoch: 2, seconds: 30)
        #expect(again.holder == "b" && again.epoch == 3, "a lapsed term taken again is a new term: \(again)")
        await store.close()
    }

    @Test("PostgreSQL: a schema from a newer hsmsync is refused, not migrated downwards")
    func newerSchema() async throws {
        let endpoint = try await PostgreSQLServer.shared.endpoint()
        let (location, password, keep) = try await Self.location(.postgres)
        defer { withExtendedLifetime(keep) {} }
        let store = try await StateStore.open(location, password: password, logger: Self.logger)
        await store.close()
        guard case .postgres(_, _, _, let database, _) = location else { return }
        try await PostgreSQLServer.shared.psql(
            endpoint, database: database, "UPDATE hsmsync_schema SET version = 99, written_by = '9.9.9'")
        await #expect {
            _ = try await StateStore.open(location, password: password, logger: Self.logger)
        } throws: { error in
            "\(error)".contains("schema version 99, written by hsmsync 9.9.9")
        }
    }

    @Test(
        "PostgreSQL over TLS: sslmode=verify-full with the server's certificate connects encrypted; without that root it is refused"
    )
    func tls() async throws {
        let endpoint = try await PostgreSQLServer.shared.endpoint()
        let database = try await PostgreSQLServer.shared.makeDatabase()
        let password = PINSource.file(path: endpoint.passwordFile)
        // verify-full checks the name: the certificate is for localhost and 127.0.0.1.
        let verified = DatabaseLocation.postgres(
            host: "localhost", port: endpoint.port, user: endpoint.user, database: database,
            tls: .verifyFull(rootCertificate: endpoint.certificatePath))
        let store = try await StateStore.open(verified, password: password, client: "tls-check", logger: Self.logger)
        let encrypted = try await PostgreSQLServer.shared.psql(
            endpoint, database: database,
            "SELECT count(*) FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) "
                + "WHERE a.application_name = 'tls-check' AND s.ssl")
        #expect(encrypted == "2", "both connections use TLS")
        await store.close()

        let required = DatabaseLocation.postgres(
            host: endpoint.host, port: endpoint.port, user: endpoint.user, database: database, tls: .require)
        let unverified = try await StateStore.open(
            required, password: password, client: "tls-require", logger: Self.logger)
        await unverified.close()

        let systemRoots = DatabaseLocation.postgres(
            host: "localhost", port: endpoint.port, user: endpoint.user, database: database,
            tls: .verifyFull(rootCertificate: nil))
        await #expect {
            _ = try await StateStore.open(systemRoots, password: password, client: "tls-refused", logger: Self.logger)
        } throws: { error in
            "\(error)".contains("cannot open the state database") && "\(error)".lowercased().contains("certificate")
        }
    }
}
