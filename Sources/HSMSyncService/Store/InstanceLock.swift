import HSMSyncModel
import PostgresKit
import SQLKit

/// PostgreSQL advisory locks that keep instances apart on one database (advisory locks belong to
/// the database they are taken in: fleets with databases of their own on one server never meet).
///
/// The instance lock is a session lock on the write connection: the server releases it the moment
/// that connection ends, also when the process is killed, so a crashed instance never leaves the
/// database locked. Who holds it is read from `pg_stat_activity`, where each instance connects
/// with the application name `hsmsync serve <instance>`.
enum InstanceLock {
    /// The lock space: "hsms" in ASCII. Key 0 serialises schema migrations, key 1 is the instance.
    static let space: Int32 = 0x6873_6D73
    static let migrationKey: Int32 = 0
    static let instanceKey: Int32 = 1

    /// Waits for any other instance's migration; released when the current transaction ends.
    static func serializeMigrations(on database: any SQLDatabase) async throws {
        try await database.raw("SELECT pg_advisory_xact_lock(\(bind: space), \(bind: migrationKey))").run()
    }

    /// How long a start waits for the lock: the session of an instance that just stopped or was
    /// killed ends a moment after its connection, and a restart must not be refused for that.
    static let wait = "5s"

    /// Takes the instance lock, waiting up to ``wait`` for it, or throws
    /// ``StateStoreError/heldByAnotherInstance(_:holder:)`` naming the instance that holds it.
    static func take(on database: any SQLDatabase, location: DatabaseLocation) async throws {
        do {
            try await database.raw("SET lock_timeout = '\(unsafeRaw: wait)'").run()
            try await database.raw("SELECT pg_advisory_lock(\(bind: space), \(bind: instanceKey))").run()
            try await database.raw("SET lock_timeout = 0").run()
            return
        } catch let error as PSQLError where error.serverInfo?[.sqlState] == "55P03" {
            // lock_not_available: held by a live session. Named below.
        } catch {
            throw StateStoreError.cannotOpen(location.description, reason: StateStoreError.describe(error))
        }
        let holder = try? await database.raw(
            """
            SELECT a.application_name AS name, host(a.client_addr) AS address \
            FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid \
            WHERE l.locktype = 'advisory' AND l.granted AND l.classid = \(bind: Int(space)) \
            AND l.objid = \(bind: Int(instanceKey)) \
            AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
            """
        ).first()
        let name = (try? holder?.decode(column: "name", as: String?.self)) ?? nil
        let address = (try? holder?.decode(column: "address", as: String?.self)) ?? nil
        throw StateStoreError.heldByAnotherInstance(
            location.description,
            holder: [name ?? "an unnamed client", address.map { "from \($0)" }].compactMap { $0 }.joined(separator: " ")
        )
    }

    /// Gives the lock back at once, before the connection closes (a restart need not wait for the
    /// old session to end).
    static func release(on database: any SQLDatabase) async {
        _ = try? await database.raw("SELECT pg_advisory_unlock(\(bind: space), \(bind: instanceKey))").run()
    }
}
