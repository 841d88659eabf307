import ArgumentParser
import HSMSyncCore
import HSMSyncModel
import SignedLog

/// `hsmsync log keygen --name NAME --out FILE [--witness]`, or `hsmsync log keygen --fleet F`.
struct LogKeygenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keygen",
        abstract: "Generate an Ed25519 log key, or a witness cosignature key, and print its vkey.",
        discussion: """
            The key file is created with mode 0600 and never overwrites an existing file. With --fleet, the key \
            pair is generated inside the HSM the fleet's log.key names, under its label: Ed25519 \
            (CKM_EC_EDWARDS_KEY_PAIR_GEN) where the token offers it, else ECDSA P-256; sensitive, not \
            extractable, SIGN only. Its vkey is printed by `hsmsync log init --fleet F`, which names it.

            Example: hsmsync log keygen --fleet fleet.yaml (an HSM-held key), or hsmsync log keygen --witness --name witness.example --out witness.key
            """
    )

    @Option(name: .long, help: "The key name (a log key's name is its origin).")
    var name: String?

    @Option(name: .long, help: "The private key file to create.")
    var out: String?

    @Flag(name: .long, help: "Make a witness key (tlog-cosignature, type 0x04).")
    var witness = false

    @Option(name: .long, help: ArgumentHelp("Generate the fleet's log key in its HSM.", valueName: "file"))
    var fleet: String?

    func validate() throws {
        if fleet != nil {
            guard name == nil, out == nil, !witness else {
                throw ValidationError(
                    "--fleet generates the fleet's HSM log key; do not combine it with --name, --out or --witness")
            }
        } else if name == nil || out == nil {
            throw ValidationError("give --name and --out (a key file), or --fleet (a key in an HSM)")
        }
    }

    func run() async throws {
        if let fleet {
            let loaded = try Fleet.load(from: fleet)
            guard case .hsm(let hsmName, let label) = loaded.log?.key, let hsm = loaded.hsm(named: hsmName) else {
                throw ValidationError("\(fleet) names no HSM log key (log: key: {hsm: NAME, label: LABEL})")
            }
            let connection = await Environment.shared.connector.connect([hsm], readWrite: true)[0]
            guard let worker = connection.endpoint else { throw connection.error! }
            let curve = try await HSMAuditSigner.generateKey(on: worker, label: label)
            await worker.close()
            Console.out(
                "generated a \(curve) log key pair \"\(label)\" in \(hsmName) (sensitive, not extractable, sign only)")
            Console.out("next: hsmsync log init --fleet \(fleet) --origin ORIGIN")
            return
        }
        let key = try NotePrivateKey.generate(name: name!, type: witness ? .cosignatureV1 : .ed25519)
        try key.write(to: out!)
        Console.out(key.verifierKey.description)
    }
}
