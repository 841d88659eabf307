import Crypto
public import Foundation
public import HSMSyncModel
public import SignedLog

/// Reads one HSM's in-scope objects into a bundle's content: secret and private keys wrapped under
/// the fleet's backup key, public keys and certificates as they are, and every in-scope key that
/// cannot be included with the reason. Nothing on the HSM is changed: wrapping creates nothing.
public struct BackupCreation: Sendable {
    public let fleet: Fleet

    public init(fleet: Fleet) {
        self.fleet = fleet
    }

    /// Reads the worker's token.
    ///
    /// - Throws: ``BackupError/backupKeyUnusable(hsm:label:reason:)`` when the backup key is
    ///   missing, ambiguous or breaks the KEK rules (nothing is wrapped then); PKCS#11 errors.
    public func read(from endpoint: any HSMEndpoint, now: Date = Date()) async throws -> BackupContent {
        guard let token = await endpoint.token() else { throw HSMError(hsm: endpoint.name, .notOpen) }
        let hsm = endpoint.configuration
        let collection = try await endpoint.collectBackup(
            transportLabel: fleet.transport.label, backupKeyLabel: fleet.backupKeyLabel, scope: fleet.keys,
            infrastructure: fleet.infrastructure)
        let (keyReference, keys, objects, excluded) = (
            collection.backupKey, collection.keys, collection.objects, collection.excluded
        )
        let manifest = BackupManifest(
            fleet: fleet.name,
            source: BackupSourceToken(
                hsm: hsm.name, role: hsm.role.rawValue, label: token.label, serial: token.serialNumber,
                model: token.model, manufacturer: token.manufacturer),
            createdAt: BackupTime.format(now), backupKey: keyReference,
            scope: BackupScope(include: fleet.keys.include, exclude: fleet.keys.exclude),
            counts: BackupCounts(keys: keys.count, objects: objects.count, excluded: excluded.count),
            tool: "hsmsync \(HSMSyncVersion.current)")
        return BackupContent(manifest: manifest, keys: keys, objects: objects, excluded: excluded)
    }

    /// Reads the worker's token, signs the bundle with `signer` and creates `path` (never
    /// overwriting it): `backup create` and a ceremony's `backup-create` step.
    ///
    /// - Returns: what the bundle holds, and its bytes (for the digest the log records).
    public func create(from endpoint: any HSMEndpoint, signer: any AuditSigner, at path: String) async throws
        -> (content: BackupContent, bytes: [UInt8])
    {
        let content = try await read(from: endpoint)
        let bytes = try await BackupCodec.encode(content, signer: signer)
        try BackupCodec.write(bytes, to: path)
        return (content, bytes)
    }
}

/// Times as bundles write them.
enum BackupTime {
    static func format(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: date)
    }
}
