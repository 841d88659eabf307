import ArgumentParser
import HSMSyncCore

/// `hsmsync log keygen --name NAME --out FILE [--witness]`.
struct LogKeygenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keygen",
        abstract: "Generate an Ed25519 log key, or a witness cosignature key, and print its vkey.",
        discussion: "The key file is created with mode 0600 and never overwrites an existing file."
    )

    @Option(name: .long, help: "The key name (a log key's name is its origin).")
    var name: String

    @Option(name: .long, help: "The private key file to create.")
    var out: String

    @Flag(name: .long, help: "Make a witness key (tlog-cosignature, type 0x04).")
    var witness = false

    func run() async throws {
        let key = try NotePrivateKey.generate(name: name, type: witness ? .cosignatureV1 : .ed25519)
        try key.write(to: out)
        Console.out(key.verifierKey.description)
    }
}
