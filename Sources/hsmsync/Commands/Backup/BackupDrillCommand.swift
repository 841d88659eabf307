import ArgumentParser
import Foundation
import HSMSyncCore
import HSMSyncModel
import PKCS11Endpoint
import SLIP39
import SignedLog

/// `hsmsync backup drill --fleet F FILE --share FILE...`.
struct BackupDrillCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "drill",
        abstract: "Prove a bundle restorable: restore it into a throwaway SoftHSM2 token, compare with the source.",
        discussion: """
            A throwaway SoftHSM2 token is initialised with random PINs (never shown) in a private directory. The \
            backup key is loaded into it from the custodians' shares (--share, as `transport install`: the \
            backup key is non-extractable, so shares are the only honest way to get it into another token), the \
            bundle is restored into it as `backup restore --apply` restores (stage → verify → promote, proof by \
            fingerprint), and every key is compared by fingerprint with the live source HSM. The token and its \
            directory are destroyed whatever happens. On success the drill is recorded in the log (backup.drill) \
            and in the fleet's state directory (backup-drill.json), which `audit --metrics` exports as \
            hsmsync_backup_last_verified_restorable_timestamp_seconds. Exit 0 proven, 1 not proven, 2 invalid \
            input (too few or bad shares included), 3 runtime failure.

            Example: hsmsync backup drill --fleet fleet.yaml backups/primary-1.hsmbackup --share s1.txt s2.txt s3.txt
            """
    )

    @OptionGroup var fleetOptions: FleetOptions

    @Argument(help: ArgumentHelp("The bundle.", valueName: "file"))
    var file: String

    @Option(
        name: .customLong("share"), parsing: .upToNextOption,
        help: ArgumentHelp("A custodian's share file of the backup key (repeat, or list several).", valueName: "file"))
    var shareFiles: [String] = []

    @Option(
        name: .long,
        help: ArgumentHelp("The verifier key bundles must be signed with (default: the fleet's).", valueName: "file"))
    var vkey: String?

    @OptionGroup var output: OutputOptions

    func validate() throws {
        guard !shareFiles.isEmpty else {
            throw ValidationError(
                "--share is required: the throwaway token needs the backup key from M custodian shares")
        }
    }

    func run() async throws {
        let fleet = try fleetOptions.load()
        let trusted = try BackupSigning.trustedKey(for: fleet, explicit: vkey)
        let bundle = try BackupCodec.load(file, trusted: trusted)
        let environment = Environment.shared
        let drill = BackupDrill(
            fleet: fleet, connector: environment.connector,
            scratch: SoftHSMScratchTokens(connector: environment.connector))
        try drill.check(bundle)
        for path in shareFiles where !FileManager.default.isReadableFile(atPath: path) {
            throw TransportError.shareFileUnreadable(path: path, reason: "no such file, or not readable")
        }
        let trail = try await AuditTrail.open(for: fleet, connector: environment.connector)
        let outcome: BackupDrill.Outcome
        do {
            let shares: ShareRecovery
            do { shares = try TransportInstallCommand.readShares(shareFiles) } catch {
                try await trail.record(BackupEntries(actor: trail.actor).drillFailed(bundle, error: error))
                throw error
            }
            outcome = try await drill.run(bundle, shares: shares, trail: trail)
        } catch {
            try? await trail.close()
            throw error
        }
        try await trail.close()
        let source = bundle.content.manifest.source.hsm
        if output.json {
            try JSONOutput.print(CommandDocuments.BackupDrillDocument(outcome, bundle: file, source: source))
            if outcome.verifiedAt == nil { throw ExitStatus.driftOrIntegrityFailure.exitCode }
            return
        }
        for failure in outcome.restoreFailures {
            Console.out("  NOT RESTORED \(failure.key): \(failure.detail ?? failure.status.rawValue)")
        }
        for comparison in outcome.comparisons {
            Console.out("  \(comparison.matches ? "proven" : "NOT PROVEN") \(comparison.key): \(comparison.detail)")
        }
        guard outcome.verifiedAt != nil else {
            Console.out(
                "drill failed: \(outcome.proven) of \(outcome.comparisons.count) objects proven; the throwaway token "
                    + "was destroyed")
            throw ExitStatus.driftOrIntegrityFailure.exitCode
        }
        Console.out(
            "bundle \(file) is restorable: \(outcome.proven) objects restored into a throwaway token and proven equal "
                + "to \(source) by fingerprint; the throwaway token was destroyed")
    }
}
