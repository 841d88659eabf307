import ArgumentParser
import Foundation
import HSMSyncCore
import HSMSyncModel
import PKCS11Endpoint
import SignedLog

/// `hsmsync ceremony run FILE [--resume] [--rehearse] [--inputs DIR]`.
struct CeremonyRunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a ceremony: every step logged before and after, a signed checkpoint after each.",
        discussion: """
            The plan is checked against the live fleet first; nothing is changed if it cannot be carried out. A \
            failing step stops the ceremony with an account of what was done and what was not; after a fix, \
            --resume continues from the failed step (completed steps are read from the verified signed log and \
            never repeated). --rehearse runs the whole ceremony on throwaway SoftHSM2 tokens that mirror the \
            fleet's HSM names, token labels and roles, seeded with stand-ins (fresh keys with the labels, IDs, \
            types and extractability of the real in-scope keys, and a stand-in transport key where the real HSM \
            has one; the real HSMs are only read), into a log of its own; the real fleet is never changed. The \
            stand-ins keep the real fleet's relations: one material wherever the real HSMs hold the same key, \
            different material where the real copies differ. When the rehearsal ends, its tokens are destroyed \
            and its log's key file deleted; the log itself stays (the rehearsal's record). \
            --inputs DIR answers every prompt from files (docs/ceremony-format.md); without it, people answer \
            at the terminal and custodians type shares at a hidden prompt. When the fleet's service keeps its \
            state in PostgreSQL (service.database), a run (not a rehearsal) takes the fleet lock in that database \
            first: while the service or another command is changing the fleet it is refused (exit 3), naming the \
            holder.

            Example: hsmsync ceremony run ceremonies/replicate-ca-keys.yaml --rehearse, then without --rehearse
            """
    )

    @OptionGroup var options: CeremonyFileOptions

    @Flag(name: .long, help: "Continue the failed run of this ceremony from its failed step.")
    var resume = false

    @Flag(name: .long, help: "Rehearse on throwaway tokens mirroring the fleet, into a log of its own.")
    var rehearse = false

    @Option(
        name: .customLong("rehearsal-log"),
        help: ArgumentHelp(
            "With --rehearse: the new log directory (default: beside the fleet's log).", valueName: "dir")
    )
    var rehearsalLog: String?

    @Option(name: .long, help: ArgumentHelp("Answer prompts from files in this directory.", valueName: "dir"))
    var inputs: String?

    func validate() throws {
        if resume && rehearse {
            throw ValidationError("a rehearsal's tokens are gone when it ends: rehearse again instead of --resume")
        }
        if rehearsalLog != nil && !rehearse { throw ValidationError("--rehearsal-log needs --rehearse") }
    }

    func run() async throws {
        let (script, fleet) = try options.load()
        let answers: any CeremonyInputs =
            try inputs.map { try DirectoryCeremonyInputs(directory: $0) }
            ?? TerminalCeremonyInputs()
        let environment = Environment.shared
        var scratch: ScratchHSMs?
        var runFleet = fleet
        var rehearsalDirectory: String?
        if rehearse {
            // Before the real HSMs are read and throwaway tokens built: a missing answer file stops
            // a rehearsal here, as it stops a run before any HSM is touched.
            try answers.preflight(script.steps, roles: script.roles, transportLabel: fleet.transport.label)
            let directory = rehearsalLog ?? "\(fleet.log!.directory).rehearsal-\(Self.timestamp())"
            let started = try await ScratchHSMs.mirroring(fleet, connector: environment.connector)
            scratch = started
            do {
                let log = try await RehearsalLog.create(directory: directory, ceremony: script.name)
                rehearsalDirectory = directory
                runFleet = started.fleet(replacing: fleet, log: log)
                Console.out("REHEARSAL: throwaway tokens for \(fleet.hsms.map(\.name).joined(separator: ", "))")
                for line in await RehearsalStandIns.seed(
                    from: fleet, into: started.hsms, connector: environment.connector)
                {
                    Console.out("REHEARSAL: \(line)")
                }
                Console.out("REHEARSAL: log \(directory) (the fleet's own log is not written)")
            } catch {
                await started.destroy()
                RehearsalLog.finish(directory: rehearsalDirectory)
                throw error
            }
        }
        let runner = CeremonyRunner(
            script: script, fleet: runFleet, connector: environment.connector, inputs: answers, rehearsal: rehearse,
            say: { Console.out($0) })
        do {
            // A rehearsal touches only throwaway tokens: it takes no lock of the real fleet.
            let outcome = try await DatabaseFleetLock.holding(fleet, command: "ceremony run", when: !rehearse) {
                try await runner.execute(resume: resume)
            }
            await runner.closeWorkers()
            await scratch?.destroy()
            Console.out("ceremony \(script.name) closed: run \(outcome.run), \(outcome.completed.count) steps")
            Console.out("final checkpoint  size \(outcome.checkpointSize)")
            Console.out("root (base64)     \(outcome.rootHash.base64)")
            Console.out("root (words)      \(PGPWords.string(for: outcome.rootHash.bytes))")
            Console.out("log               \(runFleet.log!.directory)")
            RehearsalLog.finish(directory: rehearsalDirectory)
        } catch {
            await runner.closeWorkers()
            await scratch?.destroy()
            RehearsalLog.finish(directory: rehearsalDirectory)
            throw error
        }
    }

    static func timestamp() -> String {
        RFC3339.basicSeconds.string(from: Date())
    }
}

/// A rehearsal's own signed log: a fresh directory and an Ed25519 key file beside it (mode 0600),
/// with an origin that says it is a rehearsal.
enum RehearsalLog {
    static func create(directory: String, ceremony: String) async throws -> LogSettings {
        let keyPath = directory + ".key"
        guard !FileManager.default.fileExists(atPath: directory), !FileManager.default.fileExists(atPath: keyPath)
        else { throw CeremonyError.invalid("\(directory) (or its key) exists: a rehearsal starts a new log") }
        let origin = "rehearsal.hsmsync.invalid/\(ceremony)/\(Hex.random(byteCount: 16))"
        let key = try NotePrivateKey.generate(name: origin, type: .ed25519)
        try key.write(to: keyPath)
        let log = try await AuditLog.create(
            directory: directory, origin: origin, signer: try FileKeySigner(path: keyPath),
            actor: AuditActor(id: "hsmsync", role: "rehearsal", auth: "os-user"))
        try await log.close()
        return LogSettings(directory: directory, key: .file(path: keyPath))
    }

    /// After a rehearsal (completed or stopped): deletes the log's key file — a rehearsal is never
    /// resumed, so nothing is ever signed with it again; its `log.vkey` verifies the log — and says
    /// what stays and why. Nothing to do for `nil` (no rehearsal log was made).
    static func finish(directory: String?) {
        guard let directory else { return }
        try? FileManager.default.removeItem(atPath: directory + ".key")
        // The run's state file (for --resume) is of no use either: a rehearsal is never resumed.
        let parent = (directory as NSString).deletingLastPathComponent
        let prefix = (directory as NSString).lastPathComponent + ".ceremony-"
        for file in (try? FileManager.default.contentsOfDirectory(atPath: parent)) ?? []
        where file.hasPrefix(prefix) && file.hasSuffix(".json") {
            try? FileManager.default.removeItem(atPath: parent + "/" + file)
        }
        Console.out(
            "REHEARSAL: the throwaway tokens are destroyed; the log's signing key \(directory).key and the run's "
                + "state file are deleted")
        var kept = "REHEARSAL: kept: its signed log \(directory) (the rehearsal's record: hsmsync ceremony transcript, "
        kept += "hsmsync log verify)"
        if FileManager.default.fileExists(atPath: directory + ".bundles") {
            kept +=
                " and \(directory).bundles (bundles of stand-in keys under a destroyed stand-in key: no real material)"
        }
        Console.out(kept + "; remove them when the rehearsal is no longer needed as evidence")
    }
}
