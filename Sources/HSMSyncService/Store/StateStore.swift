import Foundation
import HSMSyncCore
public import HSMSyncModel
public import Logging
import NIOCore
import NIOPosix
import SQLKit
import SQLiteKit

/// The service's state: runs with their reports, the key timeline and alert deliveries, in SQLite
/// (the embedded default) or PostgreSQL, through SQLKit with the same statements on both.
///
/// An actor: the write connection takes one writer, and every method is one statement or one
/// transaction, so nothing interleaves inside a change.
public actor StateStore {
    /// The connection every write goes through, one writer at a time (``exclusively(_:)``).
    var database: any SQLDatabase { backend.writer }
    private var backend: StoreBackend
    /// A reconnection in progress, which every caller waits for.
    private var reconnecting: Task<Void, any Error>?
    private var closed = false
    private var writing = false
    private var writeWaiters: [CheckedContinuation<Void, Never>] = []
    /// Where it lives, for messages.
    public let location: DatabaseLocation
    /// The key timeline as last written, so that a watch cycle writes only what changed.
    var timelineCache: [String: ObservedKey]?

    /// Whether the state is in PostgreSQL (shared between hosts) rather than a SQLite file.
    var isPostgres: Bool { backend.kind == .postgres }

    /// The database's clock, as SQL (``StoreBackend/Kind/now``).
    var now: String { backend.kind.now }

    private init(backend: StoreBackend, location: DatabaseLocation) {
        self.backend = backend
        self.location = location
    }

    /// Opens (creating when absent) the database and brings its schema to this build's version.
    ///
    /// - Parameters:
    ///   - password: PostgreSQL only: where the password comes from (`service.databasePassword`).
    ///   - client: who opens it, as the database's other clients see it (PostgreSQL's
    ///     `application_name`, e.g. `hsmsync serve site-a-1`): the holder named when a lock is held.
    /// - Throws: ``StateStoreError`` when the database cannot be opened, or when another (newer)
    ///   version of hsmsync wrote it — never migrated downwards.
    public static func open(
        _ location: DatabaseLocation, password: PINSource? = nil, client: String = "hsmsync", logger: Logger
    ) async throws -> StateStore {
        // Every statement is logged at debug: too much for the service's own debug log.
        var quiet = logger
        quiet.logLevel = max(logger.logLevel, .info)
        let backend: StoreBackend
        switch location {
        case .sqlite(let path):
            backend = try await .sqlite(path: path, location: location, logger: quiet)
        case .postgres:
            backend = try await .postgres(location, password: password, client: client, logger: quiet)
        }
        do {
            try await prepare(backend, location: location)
        } catch {
            await backend.close()
            throw error
        }
        return StateStore(backend: backend, location: location)
    }

    /// Closes the connections; nothing reconnects afterwards.
    public func close() async {
        closed = true
        await backend.close()
    }

    /// Whether the database answers (`/readyz`), reconnecting first when it had gone away.
    public func ping() async -> Bool {
        (try? await readConnection().raw("SELECT 1 AS one").first()) != nil
    }

    /// A second connection for reads: it sees only committed transactions, so a read never
    /// observes a write half done.
    func readConnection() async throws -> any SQLDatabase {
        try await ensureConnected()
        return backend.reader
    }

    /// Connects again when PostgreSQL dropped the connections (a restart, a failover, a network
    /// cut): the first call after the database is back works, without restarting the service. A transaction the drop cut short was rolled back by the
    /// server; it is never continued on the new connection.
    ///
    /// - Parameter forWriter: only the writer (``exclusively(_:)``, before its body) reconnects
    ///   while a write is in progress; a reader then fails instead, so that no statement of a
    ///   write ever moves to a new connection, outside its transaction.
    func ensureConnected(forWriter: Bool = false) async throws {
        guard !backend.isOpen(), let reopen = backend.reopen else { return }
        guard !closed else { throw StateStoreError.cannotOpen(location.description, reason: "the store is closed") }
        if let reconnecting { return try await reconnecting.value }
        guard forWriter || !writing else {
            throw StateStoreError.cannotOpen(
                location.description, reason: "the connection was lost; it is restored after the write in progress")
        }
        let task = Task {
            await backend.close()
            backend = try await reopen()
        }
        reconnecting = task
        defer { reconnecting = nil }
        try await task.value
    }

    /// Runs `body` as the only writer: the actor is re-entered at every `await`, and two writers on
    /// one connection would share a transaction.
    func exclusively<T>(_ body: () async throws -> T) async throws -> T {
        while writing {
            await withCheckedContinuation { writeWaiters.append($0) }
        }
        writing = true
        defer {
            writing = false
            if !writeWaiters.isEmpty { writeWaiters.removeFirst().resume() }
        }
        try await ensureConnected(forWriter: true)
        return try await body()
    }

    /// Creates or migrates the schema in one transaction (on PostgreSQL under a transaction-scoped
    /// advisory lock, so that two instances starting together do not both create the tables).
    private static func prepare(_ backend: StoreBackend, location: DatabaseLocation) async throws {
        let database = backend.writer
        do {
            try await transaction(on: database, begin: backend.kind.begin) {
                if backend.kind == .postgres { try await AdvisoryLock.serializeMigrations(on: database) }
                try await database.raw(
                    "CREATE TABLE IF NOT EXISTS hsmsync_schema (version BIGINT NOT NULL, written_by TEXT NOT NULL)"
                ).run()
                let row = try await database.raw("SELECT version, written_by FROM hsmsync_schema").first()
                let found = try row.map { try $0.decode(column: "version", as: Int.self) } ?? 0
                if found > StateSchema.currentVersion {
                    let writer = (try? row?.decode(column: "written_by", as: String.self)) ?? "unknown"
                    throw StateStoreError.newerSchema(
                        location.description, found: found, writtenBy: writer, supported: StateSchema.currentVersion)
                }
                guard found < StateSchema.currentVersion else { return }
                for migration in StateSchema.migrations[found...] {
                    for statement in migration {
                        try await database.raw(SQLQueryString(statement)).run()
                    }
                }
                try await database.raw("DELETE FROM hsmsync_schema").run()
                try await database.raw(
                    """
                    INSERT INTO hsmsync_schema (version, written_by) \
                    VALUES (\(bind: StateSchema.currentVersion), \(bind: HSMSyncVersion.current))
                    """
                ).run()
            }
        } catch let error as StateStoreError {
            throw error
        } catch {
            throw StateStoreError.cannotOpen(location.description, reason: StateStoreError.describe(error))
        }
    }

    /// Runs `body` in one transaction on the write connection: all of it or none of it. Only
    /// inside ``exclusively(_:)``.
    func transaction(_ body: () async throws -> Void) async throws {
        try await Self.transaction(on: database, begin: backend.kind.begin, body)
    }

    private static func transaction(
        on database: any SQLDatabase, begin: String, _ body: () async throws -> Void
    ) async throws {
        try await database.raw(SQLQueryString(begin)).run()
        do {
            try await body()
            try await database.raw("COMMIT").run()
        } catch {
            try? await database.raw("ROLLBACK").run()
            throw error
        }
    }
}

/// Why the state database cannot be used.
public enum StateStoreError: Error, CategorizedError, CustomStringConvertible {
    case cannotOpen(String, reason: String)
    case newerSchema(String, found: Int, writtenBy: String, supported: Int)

    public var category: FailureCategory {
        switch self {
        case .cannotOpen: .runtime
        case .newerSchema: .invalidInput
        }
    }

    public var description: String {
        switch self {
        case .cannotOpen(let location, let reason):
            "cannot open the state database \(location): \(reason)"
        case .newerSchema(let location, let found, let writer, let supported):
            "the state database \(location) has schema version \(found), written by hsmsync \(writer); "
                + "this hsmsync reads versions up to \(supported) and never migrates a database downwards: "
                + "run the newer hsmsync, or point service.database at another file"
        }
    }
}
