import SQLKit

/// The two connections a ``StateStore`` works through, and what differs between SQLite and
/// PostgreSQL. The statements themselves are the same on both (``StateSchema``).
struct StoreBackend: Sendable {
    enum Kind: Sendable {
        case sqlite
        case postgres

        /// How a write transaction starts: SQLite must take its write lock at once (`BEGIN
        /// IMMEDIATE`), or two transactions that both read first deadlock on the upgrade.
        var begin: String {
            switch self {
            case .sqlite: "BEGIN IMMEDIATE"
            case .postgres: "BEGIN"
            }
        }

        /// The database's clock in Unix seconds, as SQL: the leader lease is timed by it, never by
        /// an instance's clock.
        var now: String {
            switch self {
            case .sqlite: "((julianday('now') - 2440587.5) * 86400.0)"
            case .postgres: "EXTRACT(EPOCH FROM clock_timestamp())::DOUBLE PRECISION"
            }
        }
    }

    let kind: Kind
    /// Every write goes through this connection, one writer at a time.
    let writer: any SQLDatabase
    /// Reads: a second connection, which sees only committed transactions.
    let reader: any SQLDatabase
    /// Closes both connections.
    let close: @Sendable () async -> Void
    /// Whether both connections are still open: PostgreSQL's end when the server restarts or the
    /// network drops them; a SQLite file's never do.
    let isOpen: @Sendable () -> Bool
    /// Connects afresh, with what the first connection used (`nil`: never needed).
    let reopen: (@Sendable () async throws -> StoreBackend)?
}
