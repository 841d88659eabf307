import SQLKit

/// The PostgreSQL advisory locks hsmsync takes, in one key space ("hsms" in ASCII). Advisory locks
/// belong to the database they are taken in: fleets with databases of their own on one server never
/// meet.
enum AdvisoryLock: Int32 {
    /// Serialises schema migrations between instances starting together (transaction-scoped).
    case migration = 0
    /// The fleet lock: whoever changes the fleet's HSMs (session-scoped; ``StateStore/takeFleetLock()``).
    case fleet = 2

    static let space: Int32 = 0x6873_6D73

    /// Waits for any other instance's migration; released when the current transaction ends.
    static func serializeMigrations(on database: any SQLDatabase) async throws {
        try await database.raw(
            "SELECT pg_advisory_xact_lock(\(bind: space), \(bind: AdvisoryLock.migration.rawValue))"
        ).run()
    }
}
