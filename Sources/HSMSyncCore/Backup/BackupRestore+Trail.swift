public import HSMSyncModel
public import SignedLog

/// A restore as `backup restore` and a ceremony's `backup-restore` step carry it out: under the
/// fleet's lock, every refusal, the start and every key in the signed log (``BackupEntries``).
extension BackupRestore {
    /// Runs `body` holding the fleet's lock: no reconcile and no other restore installs keys between
    /// a restore's plan and its application.
    ///
    /// - Throws: ``ReconcileError/locked(holder:path:)`` when another process holds it.
    public func underFleetLock<T>(_ body: () async throws -> T) async throws -> T {
        let lock = try ReconcileLock(directory: fleet.stateDirectory, purpose: "backup restore")
        defer { withExtendedLifetime(lock) {} }
        return try await body()
    }

    /// Loads and verifies the bundle and checks it against the target, touching no HSM (an HSM-held
    /// log key included: a refusal is recorded once the caller has opened the log, with
    /// ``BackupEntries/restoreRefused(hsm:error:bundle:file:)``).
    public func judge(_ file: String, trusted: VerifierKey?, target: HSMConfiguration) -> Result<
        VerifiedBackup, any Error
    > {
        Result {
            let bundle = try BackupCodec.load(file, trusted: trusted)
            try checkTarget(target, bundle: bundle)
            return bundle
        }
    }

    /// ``plan(_:on:source:allowResurrect:)``, with a refusal (the backup key missing or different on
    /// the target) recorded as a refused `backup.restore`.
    public func plan(
        _ bundle: VerifiedBackup, on endpoint: any HSMEndpoint, source: BackupSourceCheck?,
        allowResurrect: Bool = false,
        trail: AuditTrail
    ) async throws -> BackupRestorePlan {
        do {
            return try await plan(bundle, on: endpoint, source: source, allowResurrect: allowResurrect)
        } catch let error as BackupError {
            try await trail.record(
                BackupEntries(actor: trail.actor).restoreRefused(
                    hsm: endpoint.name, error: error, bundle: bundle, file: nil))
            throw error
        }
    }

    /// Records the restore's start and every key it leaves untouched, restores, records every key
    /// restored or failed, and signs a checkpoint.
    ///
    /// - Parameter report: told of every outcome as it is recorded.
    public func apply(
        _ plan: BackupRestorePlan, bundle: VerifiedBackup, on endpoint: any HSMEndpoint, trail: AuditTrail,
        report: (BackupRestoreOutcome) async throws -> Void = { _ in }
    ) async throws -> [BackupRestoreOutcome] {
        let entries = BackupEntries(actor: trail.actor)
        try await trail.record(entries.restoreStarted(plan, bundle: bundle, hsm: endpoint.name))
        for item in (plan.keys + plan.objects) where item.action == .conflict || item.action == .refused {
            try await trail.record(entries.restoreKeyLeft(item, hsm: endpoint.name))
        }
        let outcomes = try await apply(plan, bundle: bundle, on: endpoint) { outcome in
            try await trail.record(entries.restoreKey(outcome, hsm: endpoint.name))
            try await report(outcome)
        }
        try await trail.checkpoint()
        return outcomes
    }
}
