import Foundation
import HSMSyncCore
public import HSMSyncModel
public import Logging
import NIOCore
import NIOPosix
import SQLKit
import SQLiteKit

/// The service's state: runs with their reports, the key timeline, alert deliveries and the
/// leader lease, in SQLite (the embedded default) through SQLKit.
///
/// An actor: SQLite takes one writer, and every method is one statement or one transaction, so
/// nothing interleaves inside a change.
public actor StateStore {
    /// The connection every write goes through, one writer at a time (``exclusively(_:)``).
    let database: any SQLDatabase
    /// A second connection for reads: in WAL mode it sees only committed transactions, so a read
    /// never observes a write half done.
    let reader: any SQLDatabase
    private let connection: SQLiteConnection
    private let readConnection: SQLiteConnection
    private var writing = false
    private var writeWaiters: [CheckedContinuation<Void, Never>] = []
    /// Where it lives, for messages.
    public let location: DatabaseLocation
    /// The key timeline as last written, so that a watch cycle writes only what changed.
    var timelineCache: [String: ObservedKey]?

    private init(connection: SQLiteConnection, readConnection: SQLiteConnection, location: DatabaseLocation) {
        self.connection = connection
        self.readConnection = readConnection
        self.database = connection.sql()
        self.reader = readConnection.sql()
        self.location = location
    }

    /// Opens (creating when absent) the database and brings its schema to this build's version.
    ///
    /// - Throws: ``StateStoreError`` when the database cannot be opened, when another (newer)
    ///   version of hsmsync wrote it — never migrated downwards — or for PostgreSQL, which this
    ///   build cannot use yet.
    public static func open(_ location: DatabaseLocation, logger: Logger) async throws -> StateStore {
        guard case .sqlite(let path) = location else {
            throw StateStoreError.unsupported(location.description)
        }
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        do {
            try FileManager.default.createDirectory(
                atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw StateStoreError.cannotOpen(location.description, reason: error.localizedDescription)
        }
        let connection: SQLiteConnection
        // Every statement is logged at debug: too much for the service's own debug log.
        var quiet = logger
        quiet.logLevel = max(logger.logLevel, .info)
        do {
            connection = try await SQLiteConnection.open(storage: .file(path: path), logger: quiet)
        } catch {
            throw StateStoreError.cannotOpen(location.description, reason: "\(error)")
        }
        do {
            try await prepare(connection.sql(), location: location)
        } catch {
            try? await connection.close()
            throw error
        }
        let readConnection: SQLiteConnection
        do {
            readConnection = try await SQLiteConnection.open(storage: .file(path: path), logger: quiet)
        } catch {
            try? await connection.close()
            throw StateStoreError.cannotOpen(location.description, reason: "\(error)")
        }
        return StateStore(connection: connection, readConnection: readConnection, location: location)
    }

    public func close() async {
        try? await readConnection.close()
        try? await connection.close()
    }

    /// Whether the database answers (`/readyz`).
    public func ping() async -> Bool {
        (try? await reader.raw("SELECT 1 AS one").first()) != nil
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
        return try await body()
    }

    private static func prepare(_ database: any SQLDatabase, location: DatabaseLocation) async throws {
        try await database.raw("PRAGMA journal_mode = WAL").run()
        try await database.raw("PRAGMA busy_timeout = 5000").run()
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
        try await transaction(on: database) {
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
    }

    /// Runs `body` in one transaction on the write connection: all of it or none of it. Only
    /// inside ``exclusively(_:)``.
    func transaction(_ body: () async throws -> Void) async throws {
        try await Self.transaction(on: database, body)
    }

    private static func transaction(on database: any SQLDatabase, _ body: () async throws -> Void) async throws {
        try await database.raw("BEGIN IMMEDIATE").run()
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
    case unsupported(String)

    public var category: FailureCategory {
        switch self {
        case .cannotOpen: .runtime
        case .newerSchema, .unsupported: .invalidInput
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
        case .unsupported(let location):
            "\(location): this hsmsync keeps service state in SQLite only (database: sqlite:PATH)"
        }
    }
}
