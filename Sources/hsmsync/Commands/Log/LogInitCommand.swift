import ArgumentParser
import HSMSyncCore

/// `hsmsync log init DIR --origin ORIGIN --key FILE`.
struct LogInitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Create a log: log.vkey, the log.open entry and checkpoint 1.",
        discussion: """
            If FILE does not exist, an Ed25519 key named ORIGIN is generated there (mode 0600, Go/C2SP \
            private key text). ORIGIN is a unique schema-less URL, e.g. example.org/hsmsync/<32 hex digits>.
            """
    )

    @Argument(help: "The log directory (new or empty).")
    var directory: String

    @Option(name: .long, help: "The log's origin; also the log key's name.")
    var origin: String

    @Option(name: .long, help: "The log key file (created if missing).")
    var key: String

    @Option(name: .long, help: "A tlog-policy file to install as DIR/policy.")
    var policy: String?

    @OptionGroup var actorOption: LogActorOption

    func run() async throws {
        let policy = try policy.map { try WitnessPolicy(parsing: LogFiles.read($0)) }
        let signer: FileKeySigner
        var generated = false
        if LogFiles.exists(key) {
            signer = try FileKeySigner(path: key)
        } else {
            let privateKey = try NotePrivateKey.generate(name: origin, type: .ed25519)
            try privateKey.write(to: key)
            signer = try FileKeySigner(key: privateKey)
            generated = true
        }
        let log = try await AuditLog.create(
            directory: directory, origin: origin, signer: signer, actor: actorOption.auditActor, policy: policy,
            configuration: AuditLog.Configuration(toolVersion: logToolVersion))
        let root = await log.rootHash
        let size = await log.size
        try await log.close()
        if generated { Console.error("generated log key \(key) (mode 0600)") }
        Console.out("log created in \(directory)")
        Console.out("origin      \(origin)")
        Console.out("vkey        \(signer.vkey)")
        Console.out("checkpoint  size \(size) root \(root.base64)")
        Console.out("root words  \(PGPWords.string(for: root.bytes))")
    }
}
