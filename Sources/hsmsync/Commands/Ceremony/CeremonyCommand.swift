import ArgumentParser
import Foundation
import HSMSyncCore
import HSMSyncModel
import SecureMemory
import SignedLog

/// `hsmsync ceremony validate|plan|run|transcript`.
struct CeremonyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ceremony",
        abstract: "Key ceremonies from a reviewable YAML script: validate, plan, run, transcript.",
        discussion:
            "The format is docs/ceremony-format.md; shipped scripts are in ceremonies/.\n\nExample: hsmsync ceremony plan ceremonies/replicate-ca-keys.yaml",
        subcommands: [
            CeremonyValidateCommand.self, CeremonyPlanCommand.self, CeremonyRunCommand.self,
            CeremonyTranscriptCommand.self,
        ]
    )
}

/// The ceremony file argument and the fleet override, shared by validate, plan and run.
struct CeremonyFileOptions: ParsableArguments {
    @Argument(help: "The ceremony file (YAML).")
    var file: String

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Use this fleet file instead of the one the ceremony names (HSM names must match).", valueName: "file"))
    var fleet: String?

    /// Decodes the ceremony, loads its fleet and validates one against the other; no module is loaded.
    func load() throws -> (CeremonyScript, Fleet) {
        let script = try CeremonyScript.load(from: file)
        let fleet = try Fleet.load(from: fleet ?? script.fleetPath)
        try script.validate(against: fleet)
        return (script, fleet)
    }
}

/// `hsmsync ceremony validate FILE`.
struct CeremonyValidateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check a ceremony file and its fleet without touching any HSM (exit 2 on any error).",
        discussion: """
            Strict decoding (unknown keys, wrong types, unknown actions, missing parameters, duplicate step \
            ids, unknown people or HSMs are refused with the YAML path), then the fleet file, then whether this \
            build can execute every action. No PKCS#11 module is loaded.

            Example: hsmsync ceremony validate ceremonies/replicate-ca-keys.yaml
            """
    )

    @OptionGroup var options: CeremonyFileOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        let (script, fleet) = try options.load()
        if output.json {
            try JSONOutput.print(CommandDocuments.ceremonyValid(file: options.file, script: script, fleet: fleet))
            return
        }
        Console.out("\(options.file): ceremony \(script.name) is valid")
        Console.out("script  \(script.digest)")
        Console.out("fleet   \(fleet.name) (\(fleet.path)), \(script.steps.count) steps")
        Console.out("words   \(PGPWords.string(for: script.digest.bytes))")
    }
}

/// `hsmsync ceremony plan FILE`.
struct CeremonyPlanCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Print the plan for witnesses, checked read-only against the live fleet, with its digest as words.",
        discussion: """
            Labels to create must be absent, keys to destroy present, the transport key present where a step \
            needs it. Nothing is changed (read-only sessions). Exit 2 when the plan cannot be carried out.

            Example: hsmsync ceremony plan ceremonies/replicate-ca-keys.yaml --fleet fleet.yaml
            """
    )

    @OptionGroup var options: CeremonyFileOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        let (script, fleet) = try options.load()
        let runner = CeremonyRunner(
            script: script, fleet: fleet, connector: Environment.shared.connector,
            inputs: PlanOnlyInputs(), readWrite: false, say: { Console.error($0) })
        let plan: CeremonyPlan
        do {
            plan = try await runner.plan()
            await runner.closeWorkers()
        } catch {
            await runner.closeWorkers()
            throw error
        }
        if output.json {
            try JSONOutput.print(CommandDocuments.ceremonyPlan(plan))
        } else {
            Console.write(Array(CeremonyPlanRenderer.text(plan).utf8))
            Console.out("")
            Console.out("plan digest  \(plan.digest)")
            Console.out("plan words   \(plan.words)")
        }
        guard plan.problems.isEmpty else { throw CeremonyError.planRefused(problems: plan.problems) }
    }
}

/// `hsmsync ceremony transcript LOGDIR --out FILE.md`.
struct CeremonyTranscriptCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "transcript",
        abstract: "Render a ceremony from its signed log as a printable Markdown record.",
        discussion: """
            The log is verified first and a log that does not verify is refused (exit 1). The output file is \
            created, never overwritten.

            Example: hsmsync ceremony transcript audit-log --out ceremony-2026-12-07.md
            """
    )

    @Argument(help: "The log directory.")
    var directory: String

    @Option(name: .long, help: ArgumentHelp("The Markdown file to create.", valueName: "file"))
    var out: String

    @Option(name: .long, help: ArgumentHelp("The run (default: the last ceremony opened in the log).", valueName: "id"))
    var run: String?

    func run() async throws {
        let text = try CeremonyTranscript.render(logDirectory: directory, run: run)
        guard !FileManager.default.fileExists(atPath: out) else {
            throw CeremonyError.invalid("\(out) exists: a transcript never overwrites a file")
        }
        try DurableFile.create(out, with: Array(text.utf8))
        Console.out("transcript written to \(out)")
    }
}

/// The plan asks nobody anything: every answer is refused (the planner never asks).
private struct PlanOnlyInputs: CeremonyInputs {
    struct Refused: CategorizedError {
        var description: String { "planning asks no questions" }
        var category: FailureCategory { .invalidInput }
    }

    var mode: String { "plan" }
    var allowsRetry: Bool { false }
    func line(step: String, person: String, prompt: String) throws -> String { throw Refused() }
    func share(step: String, custodian: String, number: Int, count: Int, label: String) throws -> SecretBytes {
        throw Refused()
    }
    func deliver(_ generated: GeneratedTransportKey, custodians: [String], fleet: String) throws -> [String] {
        throw Refused()
    }
    func witnessKeyPath(step: String, witness: String) throws -> String { throw Refused() }
}
