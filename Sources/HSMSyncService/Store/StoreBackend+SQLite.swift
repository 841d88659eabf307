import Foundation
import HSMSyncModel
import Logging
import SQLKit
import SQLiteKit

extension StoreBackend {
    /// A SQLite file in WAL mode, created (with its directory, mode 0700) when absent.
    static func sqlite(path: String, location: DatabaseLocation, logger: Logger) async throws -> StoreBackend {
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        do {
            try FileManager.default.createDirectory(
                atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw StateStoreError.cannotOpen(location.description, reason: error.localizedDescription)
        }
        func open() async throws -> SQLiteConnection {
            do {
                return try await SQLiteConnection.open(storage: .file(path: path), logger: logger)
            } catch {
                throw StateStoreError.cannotOpen(location.description, reason: "\(error)")
            }
        }
        let writer = try await open()
        do {
            try await writer.sql().raw("PRAGMA journal_mode = WAL").run()
            try await writer.sql().raw("PRAGMA busy_timeout = 5000").run()
        } catch {
            try? await writer.close()
            throw StateStoreError.cannotOpen(location.description, reason: "\(error)")
        }
        let reader: SQLiteConnection
        do {
            reader = try await open()
        } catch {
            try? await writer.close()
            throw error
        }
        return StoreBackend(
            kind: .sqlite, writer: writer.sql(), reader: reader.sql(),
            close: {
                try? await reader.close()
                try? await writer.close()
            }, isOpen: { true }, reopen: nil)
    }
}
