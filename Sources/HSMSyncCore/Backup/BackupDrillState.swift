import Foundation
public import HSMSyncModel
import SignedLog

/// "Last verified restorable": what the most recent successful `backup drill` proved, kept in the
/// fleet's state directory (`backup-drill.json`) so `hsmsync audit --metrics` can export it as a
/// gauge without reading the signed log. The log's `backup.drill` entry is the authoritative record;
/// this file is a convenience copy, replaced atomically.
public struct BackupDrillState: Codable, Sendable, Hashable {
    public var fleet: String
    /// SHA-256 of the bundle that was proven restorable.
    public var bundleSHA256: String
    /// When the bundle was made (its manifest's `createdAt`).
    public var bundleCreatedAt: String
    /// The source HSM the keys were compared with.
    public var source: String
    /// Keys and public objects proven by fingerprint.
    public var proven: Int
    /// When the drill succeeded (Unix time, seconds).
    public var verifiedAt: Int64

    public init(
        fleet: String, bundleSHA256: String, bundleCreatedAt: String, source: String, proven: Int, verifiedAt: Int64
    ) {
        self.fleet = fleet
        self.bundleSHA256 = bundleSHA256
        self.bundleCreatedAt = bundleCreatedAt
        self.source = source
        self.proven = proven
        self.verifiedAt = verifiedAt
    }

    /// The state file of `fleet`.
    public static func path(for fleet: Fleet) -> String {
        fleet.stateDirectory + "/backup-drill.json"
    }

    /// Reads the state of `fleet`; `nil` when no drill succeeded yet (or the file is unreadable).
    public static func read(for fleet: Fleet) -> BackupDrillState? {
        guard let data = FileManager.default.contents(atPath: path(for: fleet)) else { return nil }
        return try? JSONDecoder().decode(BackupDrillState.self, from: data)
    }

    /// Replaces the state file atomically (synced temporary file, rename).
    public func write(for fleet: Fleet) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        let bytes = Array(try encoder.encode(self)) + [0x0A]
        do {
            try PosixFile.makeDirectory(fleet.stateDirectory, mode: 0o700, mayExist: true)
            try DurableFile.replace(Self.path(for: fleet), with: bytes)
        } catch {
            throw BackupError.outputFailed(path: Self.path(for: fleet), reason: "\(error)")
        }
    }
}
