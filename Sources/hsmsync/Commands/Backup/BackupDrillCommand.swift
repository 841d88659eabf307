import ArgumentParser
import Foundation
import HSMSyncCore
import HSMSyncModel
import PKCS11Endpoint
import SecureMemory
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
            bundle is restored into it with `backup restore --apply` (stage → verify → promote, proof by \
            fingerprint), and every key is compared by fingerprint with the live source HSM. The token and its \
            directory are destroyed whatever happens. On success the drill is recorded in the log (backup.drill) \
            and in the fleet's state directory (backup-drill.json), which `audit --metrics` exports as \
            hsmsync_backup_last_verified_restorable_timestamp_seconds. Exit 0 proven, 1 not proven, 2 invalid \
            input (too few or bad shares included), 3 runtime failure; a failed step in the throwaway token \
            exits as that step did.
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
        guard bundle.content.manifest.fleet == fleet.name else {
            throw BackupError.otherFleet(bundle: bundle.content.manifest.fleet, fleet: fleet.name)
        }
        let sourceName = bundle.content.manifest.source.hsm
        guard fleet.hsm(named: sourceName) != nil else {
            throw BackupError.unknownHSM(name: sourceName, fleet: fleet.name, known: fleet.hsms.map(\.name))
        }
        for path in shareFiles where !FileManager.default.isReadableFile(atPath: path) {
            throw TransportError.shareFileUnreadable(path: path, reason: "no such file, or not readable")
        }
        let environment = Environment.shared
        let trail = try await AuditTrail.open(for: fleet, connector: environment.connector)
        let outcome: DrillOutcome
        do {
            outcome = try await drill(bundle, fleet: fleet, trusted: trusted, environment: environment)
        } catch {
            try await trail.record(
                .backupDrill, inputs: ["bundle": BackupRestoreCommand.digest(bundle)], result: .failed,
                detail: ["error": .string("\(error)")])
            try await trail.close()
            throw error
        }
        let proven = outcome.comparisons.filter(\.matches).count
        // A bundle with nothing in it proves nothing restorable.
        let ok = outcome.restoreStatus == 0 && !outcome.comparisons.isEmpty && proven == outcome.comparisons.count
        let now = Int64(Date().timeIntervalSince1970)
        try await trail.record(
            .backupDrill, inputs: ["bundle": BackupRestoreCommand.digest(bundle)],
            outputs: [
                "source": .string(sourceName), "proven": .integer(Int64(proven)),
                "objects": .integer(Int64(outcome.comparisons.count)),
                "lastVerifiedRestorable": ok ? .integer(now) : .null,
            ], result: ok ? .ok : .failed,
            detail: ["restoreExit": .integer(Int64(outcome.restoreStatus))])
        try await trail.checkpoint()
        try await trail.close()
        for comparison in outcome.comparisons {
            Console.out("  \(comparison.matches ? "proven" : "NOT PROVEN") \(comparison.key): \(comparison.detail)")
        }
        guard ok else {
            Console.error(outcome.restoreStatus == 0 ? "" : outcome.restoreOutput)
            Console.out(
                "drill failed: \(proven) of \(outcome.comparisons.count) objects proven; the throwaway token was destroyed"
            )
            // A restore refused as invalid input (2) or failed at runtime (3) says so; anything
            // else not proven is an integrity failure (1).
            throw ExitStatus(rawValue: outcome.restoreStatus).flatMap { $0 == .success ? nil : $0 }?.exitCode
                ?? ExitStatus.driftOrIntegrityFailure.exitCode
        }
        try BackupDrillState(
            fleet: fleet.name, bundleSHA256: bundle.sha256, bundleCreatedAt: bundle.content.manifest.createdAt,
            source: sourceName, proven: proven, verifiedAt: now
        ).write(for: fleet)
        Console.out(
            "bundle \(file) is restorable: \(proven) objects restored into a throwaway token and proven equal to "
                + "\(sourceName) by fingerprint; the throwaway token was destroyed")
    }

    struct DrillOutcome {
        var restoreStatus: Int32
        var restoreOutput: String
        var comparisons: [BackupSourceComparison.Result]
    }

    /// The throwaway token is initialised with random PINs by ``ScratchHSMs``; the restore runs in
    /// child `hsmsync` processes that load SoftHSM2 with that token's own configuration
    /// (`<scratch>/0/softhsm2.conf`, PIN file `<scratch>/0.pin`), so the drill exercises exactly
    /// the `backup restore --apply` an operator runs.
    private func drill(_ bundle: VerifiedBackup, fleet: Fleet, trusted: VerifierKey, environment: Environment)
        async throws -> DrillOutcome
    {
        let label = "hsmsync-drill-\(UInt32.random(in: 0...UInt32.max))"
        let scratch = try await ScratchHSMs.start(
            [ScratchHSMs.Request(name: "drill", role: .member, tokenLabel: label)], connector: environment.connector)
        do {
            let outcome = try await restoreIntoScratch(bundle, fleet: fleet, trusted: trusted, scratch: scratch)
            await scratch.destroy()
            guard outcome.status == 0 else {
                // Nothing was restored to compare: the live source is not even opened.
                return DrillOutcome(
                    restoreStatus: outcome.status, restoreOutput: outcome.stdout + outcome.stderr, comparisons: [])
            }
            let source = try await environment.worker(
                named: bundle.content.manifest.source.hsm, in: fleet, readWrite: false)
            do {
                let comparisons = try await BackupSourceComparison.compare(bundle, fleet: fleet, source: source)
                await source.close()
                return DrillOutcome(
                    restoreStatus: outcome.status, restoreOutput: outcome.stdout + outcome.stderr,
                    comparisons: comparisons)
            } catch {
                await source.close()
                throw error
            }
        } catch {
            await scratch.destroy()
            throw error
        }
    }

    private func restoreIntoScratch(
        _ bundle: VerifiedBackup, fleet: Fleet, trusted: VerifierKey, scratch: ScratchHSMs
    ) async throws -> ChildResult {
        // ScratchHSMs' layout: token 0's SoftHSM2 configuration and its user PIN file (0600).
        let configuration = scratch.directory + "/0/softhsm2.conf"
        let pin = scratch.directory + "/0.pin"
        guard FileManager.default.fileExists(atPath: configuration), let token = scratch.hsms.first?.token.text else {
            throw BackupError.hsmFailure(hsm: "drill", operation: "setting up the throwaway token", detail: "no token")
        }
        let fleetFile = scratch.directory + "/drill-fleet.yaml"
        let vkeyFile = scratch.directory + "/trusted.vkey"
        try "\(trusted)\n".write(toFile: vkeyFile, atomically: true, encoding: .utf8)
        try DrillFleetFile(
            name: fleet.name,
            hsms: [
                .init(
                    name: "drill", role: "member", module: ScratchHSMs.defaultSoftHSMModule,
                    token: token, pin: "file:" + pin)
            ],
            keys: .init(include: fleet.keys.include, exclude: fleet.keys.exclude),
            transport: .init(label: bundle.content.manifest.backupKey.label)
        ).write(to: fleetFile)
        let environment = ["SOFTHSM2_CONF": configuration]
        let install = try ChildResult.hsmsync(
            ["transport", "install", "--fleet", fleetFile, "--hsm", "drill", "--share"] + shareFiles,
            environment: environment, directory: scratch.directory)
        guard install.status == 0 else {
            throw DrillStepFailed(
                operation: "loading the backup key into the throwaway token from the shares", status: install.status,
                detail: install.stderr.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        return try ChildResult.hsmsync(
            ["backup", "restore", "--fleet", fleetFile, "--hsm", "drill", file, "--apply", "--vkey", vkeyFile],
            environment: environment, directory: scratch.directory)
    }
}

/// A drill step run as a child `hsmsync` that failed: its exit status keeps its meaning (a bad
/// share is invalid input, exit 2; an HSM failure exit 3; a check value unlike the record exit 1).
struct DrillStepFailed: CategorizedError {
    var operation: String
    var status: Int32
    var detail: String

    var category: FailureCategory {
        switch status {
        case ExitStatus.driftOrIntegrityFailure.rawValue: return .integrity
        case ExitStatus.invalidInput.rawValue: return .invalidInput
        default: return .runtime
        }
    }

    var description: String { "drill: \(operation) failed (exit \(status)): \(detail)" }
}

/// The fleet file of a drill's throwaway token. Written as JSON, which every YAML 1.2 parser
/// reads: the encoder escapes what the real fleet's names, labels and scope globs may contain
/// (quotes, `#`, `: `), where interpolating them into YAML text would break or change the file.
private struct DrillFleetFile: Encodable {
    struct HSM: Encodable {
        var name, role, module, token, pin: String
    }
    struct Keys: Encodable {
        var include, exclude: [String]
    }
    struct Transport: Encodable {
        var label: String
    }

    var name: String
    var hsms: [HSM]
    var keys: Keys
    var transport: Transport

    func write(to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try encoder.encode(self).write(to: URL(fileURLWithPath: path), options: .atomic)
    }
}

/// A finished child `hsmsync` (this very executable).
struct ChildResult {
    var status: Int32
    var stdout: String
    var stderr: String

    /// Runs a child; its stderr goes to a file in `directory` (read after it exits), so a chatty
    /// child never blocks on a full pipe.
    static func hsmsync(_ arguments: [String], environment: [String: String], directory: String) throws -> ChildResult {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        let errorPath = directory + "/child-\(UInt32.random(in: 0...UInt32.max)).stderr"
        _ = FileManager.default.createFile(atPath: errorPath, contents: nil, attributes: [.posixPermissions: 0o600])
        let errorFile = try FileHandle(forWritingTo: URL(fileURLWithPath: errorPath))
        let out = Pipe()
        process.standardOutput = out
        process.standardError = errorFile
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        try? errorFile.close()
        let errorData = FileManager.default.contents(atPath: errorPath) ?? Data()
        try? FileManager.default.removeItem(atPath: errorPath)
        return ChildResult(
            status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
            stderr: String(decoding: errorData, as: UTF8.self))
    }
}
