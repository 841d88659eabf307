public import HSMSyncModel
public import SignedLog

/// The audit-log entries of backups (`backup.create`, `backup.restore`, `backup.restore.key`,
/// `backup.drill`; docs/audit-log.md), built here and only here: `hsmsync backup …` and a
/// ceremony's backup steps record the same fields under the same names.
public struct BackupEntries: Sendable {
    public let actor: AuditActor

    public init(actor: AuditActor) {
        self.actor = actor
    }

    /// The `inputs.bundle` digest of a verified bundle.
    public static func digest(_ bundle: VerifiedBackup) -> AuditDigest {
        AuditDigest(parsing: "sha256:\(bundle.sha256)")!
    }

    /// `backup.create`: a bundle was written.
    public func created(_ content: BackupContent, bytes: [UInt8], path: String, signer: VerifierKey)
        -> AuditEntryDraft
    {
        let manifest = content.manifest
        return AuditEntryDraft(
            action: .backupCreate, actor: actor, inputs: ["bundle": AuditDigest.sha256(of: bytes)],
            outputs: [
                "hsm": .string(manifest.source.hsm), "serial": .string(manifest.source.serial),
                "backupKey": .string(manifest.backupKey.label),
                "backupKeyCheckValue": .string(manifest.backupKey.checkValue),
                "keys": .integer(Int64(content.keys.count)), "objects": .integer(Int64(content.objects.count)),
                "excluded": .integer(Int64(content.excluded.count)), "signer": .string(signer.description),
            ],
            detail: ["file": .string(path), "bytes": .integer(Int64(bytes.count))])
    }

    /// `backup.create` failed: nothing was written.
    public func createFailed(hsm: String, error: any Error) -> AuditEntryDraft {
        AuditEntryDraft(
            action: .backupCreate, actor: actor, outputs: ["hsm": .string(hsm)], result: .failed,
            detail: ["error": .string("\(error)")])
    }

    /// `backup.restore` refused before the HSM was changed: the bundle, the fleet, the target or the
    /// backup key. `bundle` when it verified; `file` when it did not.
    public func restoreRefused(hsm: String, error: any Error, bundle: VerifiedBackup?, file: String?)
        -> AuditEntryDraft
    {
        var detail: [String: JSONValue] = ["error": .string("\(error)")]
        if let file { detail["file"] = .string(file) }
        return AuditEntryDraft(
            action: .backupRestore, actor: actor, inputs: bundle.map { ["bundle": Self.digest($0)] } ?? [:],
            outputs: ["hsm": .string(hsm)], result: .refused, detail: detail)
    }

    /// `backup.restore`: a restore begins, with its plan's counts.
    public func restoreStarted(_ plan: BackupRestorePlan, bundle: VerifiedBackup, hsm: String) -> AuditEntryDraft {
        let source = bundle.content.manifest.source
        return AuditEntryDraft(
            action: .backupRestore, actor: actor, inputs: ["bundle": Self.digest(bundle)],
            outputs: [
                "hsm": .string(hsm), "source": .string(source.hsm), "sourceSerial": .string(source.serial),
                "backupKeyCheckValue": .string(plan.backupKeyCheckValue), "toRestore": .integer(Int64(plan.toRestore)),
                "present": .integer(Int64(plan.present)),
                "conflicts": .integer(Int64(plan.conflicts)), "refused": .integer(Int64(plan.refused)),
                "sourceCheck": .string(plan.source?.status.rawValue ?? "none"),
            ])
    }

    /// `backup.restore.key` for a key left untouched: in conflict, or refused.
    public func restoreKeyLeft(_ item: BackupRestorePlan.Item, hsm: String) -> AuditEntryDraft {
        AuditEntryDraft(
            action: .backupRestoreKey, actor: actor, outputs: Self.keyOutputs(item.key, hsm: hsm, item.fingerprint),
            result: .refused, detail: [item.action.rawValue: .string(item.detail ?? "")])
    }

    /// `backup.restore.key` for a key restored (with its proofs) or failed (with the error).
    public func restoreKey(_ outcome: BackupRestoreOutcome, hsm: String) -> AuditEntryDraft {
        var detail: [String: JSONValue] = ["proof": .array(outcome.proof.map { .string($0) })]
        if let error = outcome.detail { detail["error"] = .string(error) }
        return AuditEntryDraft(
            action: .backupRestoreKey, actor: actor,
            outputs: Self.keyOutputs(outcome.key, hsm: hsm, outcome.fingerprint),
            result: outcome.status == .restored ? .ok : .failed, detail: detail)
    }

    /// `backup.drill`: how many of the bundle's objects were proven, and when the bundle was last
    /// proven restorable (`null` when this drill did not prove it).
    public func drill(_ bundle: VerifiedBackup, proven: Int, objects: Int, verifiedAt: Int64?) -> AuditEntryDraft {
        AuditEntryDraft(
            action: .backupDrill, actor: actor, inputs: ["bundle": Self.digest(bundle)],
            outputs: [
                "source": .string(bundle.content.manifest.source.hsm), "proven": .integer(Int64(proven)),
                "objects": .integer(Int64(objects)), "lastVerifiedRestorable": verifiedAt.map { .integer($0) } ?? .null,
            ], result: verifiedAt == nil ? .failed : .ok)
    }

    /// `backup.drill` failed before anything could be compared.
    public func drillFailed(_ bundle: VerifiedBackup, error: any Error) -> AuditEntryDraft {
        AuditEntryDraft(
            action: .backupDrill, actor: actor, inputs: ["bundle": Self.digest(bundle)], result: .failed,
            detail: ["error": .string("\(error)")])
    }

    private static func keyOutputs(_ key: KeyIdentity, hsm: String, _ fingerprint: Fingerprint) -> [String: JSONValue] {
        [
            "hsm": .string(hsm), "class": .string(key.objectClass.rawValue), "label": .string(key.label),
            "id": .string(key.id), "fingerprint": .string(fingerprint.digest.map { "sha256:\($0)" } ?? "unavailable"),
        ]
    }
}
