/// Backups on one HSM: read its in-scope objects into a bundle's content, and restore a bundle's
/// objects one at a time (stage → verify → promote, as replication does).
public protocol BackupEndpoint: Sendable {
    /// Every in-scope object: secret and private keys wrapped under the backup key labelled
    /// `backupKeyLabel` (checked against the KEK rules first), public keys and certificates as they
    /// are, and every in-scope key that cannot be included with the reason. Creates nothing.
    ///
    /// - Throws: ``BackupError/backupKeyUnusable(hsm:label:reason:)`` when the backup key is missing,
    ///   ambiguous or breaks the rules; nothing is wrapped then.
    /// - Parameter infrastructure: hsmsync's own objects, never in a bundle.
    func collectBackup(
        transportLabel: String, backupKeyLabel: String, scope: KeyScope, infrastructure: InfrastructureLabels
    ) async throws -> BackupCollection

    /// Restores one wrapped key under the backup key labelled `backupKeyLabel`: unwrapped as a
    /// session object with its complete template, read back, re-wrapped and compared with the bundle,
    /// promoted to the token and read back. Nothing of a failed restore is left on the token.
    func restore(_ key: BackupWrappedKey, backupKeyLabel: String) async -> BackupRestoreOutcome

    /// Restores one public key or certificate: staged, proven by fingerprint, promoted, read back.
    func restore(_ object: BackupPublicObject) async -> BackupRestoreOutcome
}

/// What ``BackupEndpoint/collectBackup(transportLabel:backupKeyLabel:scope:)`` read.
public struct BackupCollection: Sendable {
    public let backupKey: BackupKeyReference
    public let keys: [BackupWrappedKey]
    public let objects: [BackupPublicObject]
    public let excluded: [BackupExclusion]

    public init(
        backupKey: BackupKeyReference, keys: [BackupWrappedKey], objects: [BackupPublicObject],
        excluded: [BackupExclusion]
    ) {
        self.backupKey = backupKey
        self.keys = keys
        self.objects = objects
        self.excluded = excluded
    }
}
