import SQLKit

/// Serialises schema migrations between instances starting together on one PostgreSQL database:
/// a transaction-scoped advisory lock, released when the migration's transaction ends. (Advisory
/// locks belong to the database they are taken in: fleets with databases of their own on one
/// server never meet.)
enum MigrationLock {
    /// The lock's key: "hsms" in ASCII, and 0.
    static let space: Int32 = 0x6873_6D73
    static let key: Int32 = 0

    /// Waits for any other instance's migration.
    static func take(on database: any SQLDatabase) async throws {
        try await database.raw("SELECT pg_advisory_xact_lock(\(bind: space), \(bind: key))").run()
    }
}
