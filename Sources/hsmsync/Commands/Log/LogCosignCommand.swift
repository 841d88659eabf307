import ArgumentParser
import HSMSyncCore
import HSMSyncModel
import SignedLog

/// `hsmsync log cosign DIR --witness-key FILE [--state FILE]`.
struct LogCosignCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cosign",
        abstract: "As a witness, check the latest checkpoint extends what you cosigned, then cosign it.",
        discussion: """
            The witness's state (the checkpoint it last cosigned) is kept per log, by default beside the \
            key file, and replaced atomically before the cosignature is added. A rollback, a fork or an \
            inconsistent extension is refused (exit 1). The state file also serves as \
            --trusted-checkpoint for log verify.

            Example: hsmsync log cosign audit-log --witness-key witness.key
            """
    )

    @Argument(help: "The log directory.")
    var directory: String

    @Option(name: .customLong("witness-key"), help: "The witness key file (log keygen --witness).")
    var witnessKey: String

    @Option(name: .long, help: "The witness state file for this log (default: beside the key).")
    var state: String?

    @Option(name: .long, help: "The log's vkey (default: pinned in the state, or DIR/log.vkey at first use).")
    var vkey: String?

    func run() async throws {
        let log = LogDirectory(path: directory)
        let key = try NotePrivateKey.read(from: witnessKey)
        let logKey = try vkey.map(readVerifierKey)
        let origin = try (logKey ?? readVerifierKey(log.vkey)).name
        let statePath = state ?? WitnessCosigner.defaultStatePath(keyPath: witnessKey, origin: origin)
        let outcome = try WitnessCosigner(directory: log, statePath: statePath, logKey: logKey)
            .cosign(with: key, keyPath: witnessKey)
        Console.out("cosigned    \(outcome.origin) size \(outcome.size) (previously \(outcome.previousSize))")
        Console.out("root        \(outcome.rootHash.base64)")
        Console.out("root words  \(PGPWords.string(for: outcome.rootHash.bytes))")
        Console.out("state       \(statePath)")
        Console.out(String(outcome.line.dropLast()))
    }
}
