import HSMSyncModel
import SQLKit

/// The fleet lock in the database: whoever changes the fleet's HSMs holds it, the service for a
/// reconcile or sync run, `hsmsync reconcile --apply`, `backup restore --apply` and `ceremony run`
/// for theirs, so that work from different hosts never interleaves on one HSM. (On one host the
/// fleet lock file in `state.dir` does the same; a fleet whose service keeps its state in SQLite has
/// only that.)
///
/// A PostgreSQL session advisory lock on the write connection: the server releases it when the
/// holder's connection ends, also when the process is killed. Who holds it is read from
/// `pg_stat_activity`.
extension StateStore {
    /// Takes the fleet lock without waiting.
    ///
    /// - Returns: `nil` when taken (or when the state is in SQLite, where the lock file is the
    ///   lock); otherwise the holder, as the database names it (`hsmsync serve site-a-1 from
    ///   10.0.0.5`).
    public func takeFleetLock() async throws -> String? {
        guard isPostgres else { return nil }
        return try await exclusively {
            let taken =
                try await database.raw(
                    """
                    SELECT pg_try_advisory_lock(\(bind: AdvisoryLock.space), \(bind: AdvisoryLock.fleet.rawValue)) \
                    AS taken
                    """
                ).first()?.decode(column: "taken", as: Bool.self) ?? false
            guard !taken else { return nil }
            return await holder(of: .fleet, on: database)
        }
    }

    /// Gives the fleet lock back.
    public func releaseFleetLock() async {
        guard isPostgres else { return }
        _ = try? await exclusively {
            try await database.raw(
                "SELECT pg_advisory_unlock(\(bind: AdvisoryLock.space), \(bind: AdvisoryLock.fleet.rawValue))"
            ).run()
        }
    }

    /// The client holding an advisory lock in this database, with its address.
    private func holder(of lock: AdvisoryLock, on database: any SQLDatabase) async -> String {
        let row = try? await database.raw(
            """
            SELECT a.application_name AS name, host(a.client_addr) AS address \
            FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid \
            WHERE l.locktype = 'advisory' AND l.granted AND l.classid = \(bind: Int(AdvisoryLock.space)) \
            AND l.objid = \(bind: Int(lock.rawValue)) \
            AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
            """
        ).first()
        let name = (try? row?.decode(column: "name", as: String?.self)) ?? nil
        let address = (try? row?.decode(column: "address", as: String?.self)) ?? nil
        return [name.flatMap { $0.isEmpty ? nil : $0 } ?? "an unnamed client", address.map { "from \($0)" }]
            .compactMap { $0 }.joined(separator: " ")
    }
}
