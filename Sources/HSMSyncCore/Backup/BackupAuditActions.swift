public import HSMSyncModel
import SignedLog

/// The audit-log actions of `hsmsync backup` (docs/audit-log.md lists them with their fields).
extension AuditAction {
    /// A bundle was written: its SHA-256, source token, backup key check value, counts.
    public static let backupCreate = AuditAction("backup.create")
    /// A restore began (`result: ok`) or was refused before touching the HSM (`refused`).
    public static let backupRestore = AuditAction("backup.restore")
    /// One key restored, skipped (already there) or in conflict, with its fingerprint.
    public static let backupRestoreKey = AuditAction("backup.restore.key")
    /// A drill proved (or failed to prove) the bundle restorable: the "last verified restorable" record.
    public static let backupDrill = AuditAction("backup.drill")
}
