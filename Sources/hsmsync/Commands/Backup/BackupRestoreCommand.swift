import ArgumentParser
import HSMSyncCore
import HSMSyncModel
import SignedLog

/// `hsmsync backup restore --fleet F --hsm NAME FILE [--apply] [--vkey FILE] [--json]`.
struct BackupRestoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore",
        abstract: "Restore a bundle into a secondary (or member) HSM; without --apply, show what would happen.",
        discussion: """
            The bundle is verified first (signature by the fleet's trusted key, structure, consistency); a primary \
            target, a bundle of another fleet, and an HSM whose backup key has another check value are refused \
            before anything is changed. When the bundle's source HSM is in the fleet and answers, every key is \
            compared with it (read-only): a key destroyed there since the bundle was made, one with other \
            material, and a template wider than the live key are refused, the attribute named; so is any key \
            whose template allows wrap or unwrap together with encrypt or decrypt. Without --apply: what would be restored, what is already there (same \
            fingerprint and policy: skipped) and what conflicts (other material, or the same key under another \
            policy). With --apply each key is unwrapped as a session object, read back, re-wrapped and compared \
            with the bundle, promoted to the token (C_CopyObject, or a second unwrap for a non-copyable or \
            non-modifiable key), read back, and finally proven by fingerprint from a fresh scan; a promoted key \
            that fails either check is destroyed again. --apply plans and restores under the fleet's lock \
            (state.dir/reconcile.lock), and in the service's database when service.database is PostgreSQL: \
            while a reconcile, a service run or another restore of the fleet runs it is refused (exit 3). Nothing is ever overwritten: conflicting keys are left untouched and reported. Exit 0 done \
            (or nothing to do), 1 a conflict, a refused bundle or a key that did not verify, 2 invalid input, 3 HSM \
            failure. Logged as backup.restore and backup.restore.key.

            Example: hsmsync backup restore --fleet fleet.yaml --hsm dr-1 backups/primary-1.hsmbackup (dry run), then with --apply
            """
    )

    @OptionGroup var fleetOptions: FleetOptions

    @Option(name: .long, help: ArgumentHelp("The HSM to restore into (its name or token URI).", valueName: "name"))
    var hsm: String

    @Argument(help: ArgumentHelp("The bundle.", valueName: "file"))
    var file: String

    @Flag(name: .long, help: "Restore (without it: only show what would be done).")
    var apply = false

    @Option(
        name: .long,
        help: ArgumentHelp("The verifier key bundles must be signed with (default: the fleet's).", valueName: "file"))
    var vkey: String?

    @OptionGroup var output: OutputOptions

    func run() async throws {
        let fleet = try fleetOptions.load()
        let hsm = try fleet.hsmName(for: self.hsm)
        guard let target = fleet.hsm(named: hsm) else {
            throw BackupError.unknownHSM(name: hsm, fleet: fleet.name, known: fleet.hsms.map(\.name))
        }
        let trusted = try BackupSigning.trustedKey(for: fleet, explicit: vkey)
        let restore = BackupRestore(fleet: fleet)
        let environment = Environment.shared
        // The bundle is judged before any HSM is touched (an HSM-held log key included); only then
        // is the log opened, to record the refusal or the restore.
        let judged = restore.judge(file, trusted: trusted, target: target)
        let trail = try await AuditTrail.open(for: fleet, connector: environment.connector)
        let bundle: VerifiedBackup
        switch judged {
        case .success(let verified):
            bundle = verified
        case .failure(let error):
            try await trail.record(
                BackupEntries(actor: trail.actor).restoreRefused(hsm: hsm, error: error, bundle: nil, file: file))
            try await trail.close()
            throw error
        }
        let worker: any HSMEndpoint
        do {
            worker = try await environment.worker(named: hsm, in: fleet)
        } catch {
            try await trail.close()
            throw error
        }
        do {
            let (plan, outcomes) = try await run(bundle, restore: restore, on: worker, trail: trail)
            await worker.close()
            try await trail.close()
            if output.json {
                try JSONOutput.print(BackupRestoreReport(plan: plan, applied: apply, outcomes: outcomes))
            } else {
                BackupRestoreRenderer.render(plan, applied: apply, outcomes: outcomes)
            }
            if plan.conflicts > 0 || plan.refused > 0 || outcomes.contains(where: { $0.status == .failed }) {
                throw ExitStatus.driftOrIntegrityFailure.exitCode
            }
        } catch {
            await worker.close()
            try? await trail.close()
            throw error
        }
    }

    /// Plans (and with --apply restores), under the fleet's lock when applying.
    private func run(_ bundle: VerifiedBackup, restore: BackupRestore, on worker: any HSMEndpoint, trail: AuditTrail)
        async throws -> (BackupRestorePlan, [BackupRestoreOutcome])
    {
        let environment = Environment.shared
        let fleet = restore.fleet
        let planned = { () async throws -> (BackupRestorePlan, [BackupRestoreOutcome]) in
            let source = await restore.checkSource(bundle, target: hsm) { name in
                try await environment.worker(named: name, in: fleet, readWrite: false)
            }
            let plan = try await restore.plan(bundle, on: worker, source: source, trail: trail)
            guard apply else { return (plan, []) }
            return (plan, try await restore.apply(plan, bundle: bundle, on: worker, trail: trail))
        }
        guard apply else { return try await planned() }
        return try await DatabaseFleetLock.holding(fleet, command: "backup restore --apply") {
            try await restore.underFleetLock(planned)
        }
    }
}

/// `backup restore --json`.
struct BackupRestoreReport: Encodable {
    var plan: BackupRestorePlan
    var applied: Bool
    var outcomes: [BackupRestoreOutcome]
}
