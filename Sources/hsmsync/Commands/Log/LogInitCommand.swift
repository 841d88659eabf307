import ArgumentParser
import HSMSyncCore
import HSMSyncModel
import SignedLog

/// `hsmsync log init DIR --origin ORIGIN --key FILE`, or `hsmsync log init --fleet F --origin ORIGIN`.
struct LogInitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Create a log: log.vkey, the log.open entry and checkpoint 1.",
        discussion: """
            With --key: if FILE does not exist, an Ed25519 key named ORIGIN is generated there (mode 0600, \
            Go/C2SP private key text). With --fleet: the log is created in the fleet's log.dir with the fleet's \
            log.key — a key file, or a key pair in one of the fleet's HSMs (make it first with \
            `hsmsync log keygen --fleet F`), whose checkpoint anchor is then kept in a data object beside it. \
            ORIGIN is a unique schema-less URL, e.g. example.org/hsmsync/<32 hex digits>.

            Example: hsmsync log init --fleet fleet.yaml --origin example.org/hsmsync/ca-1
            """
    )

    @Argument(help: "The log directory (new or empty); with --fleet, the fleet's log.dir.")
    var directory: String?

    @Option(name: .long, help: "The log's origin; also the log key's name.")
    var origin: String

    @Option(name: .long, help: "The log key file (created if missing).")
    var key: String?

    @Option(name: .long, help: ArgumentHelp("Use the fleet file's log: section (dir and key).", valueName: "file"))
    var fleet: String?

    @Option(name: .long, help: "A tlog-policy file to install as DIR/policy.")
    var policy: String?

    @OptionGroup var actorOption: LogActorOption

    func validate() throws {
        guard (key == nil) != (fleet == nil) else {
            throw ValidationError("give exactly one of --key FILE and --fleet FILE")
        }
        if key != nil && directory == nil {
            throw ValidationError("missing the log directory")
        }
    }

    func run() async throws {
        let policy = try policy.map { try WitnessPolicy(parsing: LogFiles.read($0)) }
        var keyPath = key
        var directory = directory ?? ""
        var logKey: LogSettings.LogKey?
        var loadedFleet: Fleet?
        if let fleet {
            let loaded = try Fleet.load(from: fleet)
            guard let settings = loaded.log else {
                throw ValidationError("\(fleet) has no log: section")
            }
            if let given = self.directory, given != settings.directory {
                throw ValidationError("the fleet's log.dir is \(settings.directory), not \(given)")
            }
            directory = settings.directory
            logKey = settings.key
            loadedFleet = loaded
            if case .file(let path) = settings.key { keyPath = path }
        }

        var generated = false
        let signer: any AuditSigner
        var anchor: (any CheckpointAnchorStore)?
        var keyWorker: (any HSMEndpoint)?
        if let keyPath {
            if LogFiles.exists(keyPath) {
                signer = try FileKeySigner(path: keyPath)
            } else {
                let privateKey = try NotePrivateKey.generate(name: origin, type: .ed25519)
                try privateKey.write(to: keyPath)
                signer = try FileKeySigner(key: privateKey)
                generated = true
            }
        } else {
            let opened = try await AuditTrail.signer(
                for: logKey!, fleet: loadedFleet!, origin: origin, connector: Environment.shared.connector)
            (signer, anchor, keyWorker) = opened
        }
        let log = try await AuditLog.create(
            directory: directory, origin: origin, signer: signer, actor: actorOption.auditActor, policy: policy,
            configuration: AuditLog.Configuration(anchorStore: anchor, headMarks: .host, toolVersion: logToolVersion))
        await keyWorker?.close()
        let root = await log.rootHash
        let size = await log.size
        try await log.close()
        if generated, let keyPath { Console.error("generated log key \(keyPath) (mode 0600)") }
        Console.out("log created in \(directory)")
        Console.out("origin      \(origin)")
        Console.out("vkey        \(signer.vkey)")
        Console.out("checkpoint  size \(size) root \(root.base64)")
        Console.out("root words  \(PGPWords.string(for: root.bytes))")
    }
}
