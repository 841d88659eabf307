import ArgumentParser
import HSMSyncCore
import HSMSyncModel
import SignedLog

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

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
            (state.dir/reconcile.lock): while a reconcile or another restore of the fleet runs it is refused \
            (exit 3). Nothing is ever overwritten: conflicting keys are left untouched and reported. Exit 0 done \
            (or nothing to do), 1 a conflict, a refused bundle or a key that did not verify, 2 invalid input, 3 HSM \
            failure. Logged as backup.restore and backup.restore.key.
            """
    )

    @OptionGroup var fleetOptions: FleetOptions

    @Option(name: .long, help: ArgumentHelp("The HSM to restore into.", valueName: "name"))
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
        guard let target = fleet.hsm(named: hsm) else {
            throw BackupError.unknownHSM(name: hsm, fleet: fleet.name, known: fleet.hsms.map(\.name))
        }
        let trusted = try BackupSigning.trustedKey(for: fleet, explicit: vkey)
        let restore = BackupRestore(fleet: fleet)
        let environment = Environment.shared
        // The bundle is judged before any HSM is touched (an HSM-held log key included); only then
        // is the log opened, to record the refusal or the restore.
        let judged = Result { () throws -> VerifiedBackup in
            let bundle = try BackupCodec.load(file, trusted: trusted)
            try restore.checkTarget(target, bundle: bundle)
            return bundle
        }
        let trail = try await AuditTrail.open(for: fleet, connector: environment.connector)
        let bundle: VerifiedBackup
        switch judged {
        case .success(let verified):
            bundle = verified
        case .failure(let error):
            try await trail.record(
                .backupRestore, outputs: ["hsm": .string(hsm)], result: .refused,
                detail: ["error": .string("\(error)"), "file": .string(file)])
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
            // Planned under the fleet's lock when applying: no reconcile or other restore installs
            // keys between this plan and its application.
            let lock = apply ? try ReconcileLock(directory: fleet.stateDirectory, purpose: "backup restore") : nil
            defer { withExtendedLifetime(lock) {} }
            let source = await restore.checkSource(bundle, target: hsm) { name in
                try await environment.worker(named: name, in: fleet, readWrite: false)
            }
            let plan: BackupRestorePlan
            do {
                plan = try await restore.plan(bundle, on: worker, source: source)
            } catch let error as BackupError {
                try await trail.record(
                    .backupRestore, inputs: ["bundle": Self.digest(bundle)], outputs: ["hsm": .string(hsm)],
                    result: .refused, detail: ["error": .string("\(error)")])
                throw error
            }
            let outcomes =
                apply ? try await run(plan, bundle: bundle, restore: restore, worker: worker, trail: trail) : []
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

    private func run(
        _ plan: BackupRestorePlan, bundle: VerifiedBackup, restore: BackupRestore, worker: any HSMEndpoint,
        trail: AuditTrail
    ) async throws -> [BackupRestoreOutcome] {
        let source = bundle.content.manifest.source
        try await trail.record(
            .backupRestore, inputs: ["bundle": Self.digest(bundle)],
            outputs: [
                "hsm": .string(hsm), "source": .string(source.hsm), "sourceSerial": .string(source.serial),
                "backupKeyCheckValue": .string(plan.backupKeyCheckValue), "toRestore": .integer(Int64(plan.toRestore)),
                "present": .integer(Int64(plan.present)),
                "conflicts": .integer(Int64(plan.conflicts)), "refused": .integer(Int64(plan.refused)),
                "sourceCheck": .string(plan.source?.status.rawValue ?? "none"),
            ])
        for item in (plan.keys + plan.objects) where item.action == .conflict || item.action == .refused {
            try await trail.record(
                .backupRestoreKey, outputs: Self.outputs(item.key, hsm: hsm, fingerprint: item.fingerprint),
                result: .refused, detail: [item.action.rawValue: .string(item.detail ?? "")])
        }
        let outcomes = try await restore.apply(plan, bundle: bundle, on: worker) { outcome in
            try await trail.record(
                .backupRestoreKey, outputs: Self.outputs(outcome.key, hsm: hsm, fingerprint: outcome.fingerprint),
                result: outcome.status == .restored ? .ok : .failed,
                detail: ["proof": .array(outcome.proof.map { .string($0) })]
                    .merging(outcome.detail.map { ["error": .string($0)] } ?? [:]) { first, _ in first })
        }
        try await trail.checkpoint()
        return outcomes
    }

    static func digest(_ bundle: VerifiedBackup) -> AuditDigest {
        AuditDigest(parsing: "sha256:\(bundle.sha256)")!
    }

    static func outputs(_ key: KeyIdentity, hsm: String, fingerprint: Fingerprint) -> [String: JSONValue] {
        [
            "hsm": .string(hsm), "class": .string(key.objectClass.rawValue), "label": .string(key.label),
            "id": .string(key.id),
            "fingerprint": .string(fingerprint.digest.map { "sha256:\($0)" } ?? "unavailable"),
        ]
    }
}

/// `backup restore --json`.
struct BackupRestoreReport: Encodable {
    var plan: BackupRestorePlan
    var applied: Bool
    var outcomes: [BackupRestoreOutcome]
}
