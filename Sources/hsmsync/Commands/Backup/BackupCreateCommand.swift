import ArgumentParser
import Foundation
import HSMSyncCore
import HSMSyncModel
import SignedLog

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `hsmsync backup create --fleet F --hsm NAME --out FILE`.
struct BackupCreateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create",
        abstract: "Write a signed bundle of an HSM's in-scope keys.",
        discussion: """
            Secret and private keys are wrapped under the backup key (CKM_AES_KEY_WRAP for AES keys, \
            CKM_AES_KEY_WRAP_PAD otherwise) with their complete attribute templates and fingerprints; public keys \
            and certificates are kept as they are; in-scope keys that cannot be wrapped are listed with the reason. \
            The file is created exclusively (never overwritten) and synced; the HSM is not changed. Logged as \
            backup.create.

            Example: hsmsync backup create --fleet fleet.yaml --hsm primary-1 --out backups/primary-1.hsmbackup
            """
    )

    @OptionGroup var fleetOptions: FleetOptions

    @Option(name: .long, help: ArgumentHelp("The HSM to back up (its name or token URI).", valueName: "name"))
    var hsm: String

    @Option(name: .long, help: ArgumentHelp("The bundle to create (must not exist).", valueName: "file"))
    var out: String

    @OptionGroup var output: OutputOptions

    func run() async throws {
        let fleet = try fleetOptions.load()
        let hsm = try fleet.hsmName(for: self.hsm)
        guard fleet.hsm(named: hsm) != nil else {
            throw BackupError.unknownHSM(name: hsm, fleet: fleet.name, known: fleet.hsms.map(\.name))
        }
        if access(out, F_OK) == 0 { throw BackupError.outputExists(path: out) }
        let environment = Environment.shared
        let trail = try await AuditTrail.open(for: fleet, connector: environment.connector)
        let (signer, signerWorker) = try await BackupSigning.signer(for: fleet, connector: environment.connector)
        let worker: any HSMEndpoint
        do {
            // Wrapping creates nothing: the source is only read.
            worker = try await environment.worker(named: hsm, in: fleet, readWrite: false)
        } catch {
            await signerWorker?.close()
            try await trail.close()
            throw error
        }
        let created: BackupCreated
        do {
            created = try await BackupCreation(fleet: fleet).create(from: worker, signer: signer, at: out, trail: trail)
            await worker.close()
            await signerWorker?.close()
        } catch {
            await worker.close()
            await signerWorker?.close()
            try await trail.close()
            throw error
        }
        try await trail.checkpoint()
        try await trail.close()
        if output.json {
            try JSONOutput.print(CommandDocuments.BackupCreatedDocument(created, path: out))
            return
        }
        BackupRenderer.renderCreated(
            created.content, path: out, size: created.bytes.count, signer: created.signer, digest: created.digest)
    }
}
