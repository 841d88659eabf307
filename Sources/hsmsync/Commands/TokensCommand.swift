import ArgumentParser
import HSMSyncCore
import HSMSyncModel
import PKCS11Endpoint

/// `hsmsync tokens --module M [--json]`.
struct TokensCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokens",
        abstract: "List the tokens a PKCS#11 module offers, with the URI a fleet file's token: can use.",
        discussion: """
            No session is opened and no PIN is asked: this reads the slot and token information only. Each \
            initialised token gets its RFC 7512 URI (pkcs11:token=LABEL;serial=SERIAL), which selects exactly \
            that token in a fleet file; slot numbers are shown but change across restarts, so never select by \
            them. With SoftHSM2, set SOFTHSM2_CONF as hsmsync will run with it.

            Example: hsmsync tokens --module /usr/lib/softhsm/libsofthsm2.so
            """
    )

    @Option(name: .long, help: ArgumentHelp("The PKCS#11 module (shared library).", valueName: "path"))
    var module: String

    @OptionGroup var output: OutputOptions

    func run() async throws {
        let tokens = try await Environment.shared.connector.tokens(module: module)
        if output.json {
            try JSONOutput.print(TokensReport(module: module, tokens: tokens))
            return
        }
        let initialised = tokens.filter(\.initialized)
        Console.out(
            "\(module): \(initialised.count) initialised token(s)"
                + (tokens.count > initialised.count ? ", \(tokens.count - initialised.count) not initialised" : ""))
        var table = [["SLOT", "LABEL", "SERIAL", "MANUFACTURER", "MODEL", "URI"]]
        for token in tokens {
            table.append([
                String(token.slot), token.initialized ? token.label : "(not initialised)", token.serial,
                token.manufacturer, token.model, token.uri ?? "-",
            ])
        }
        InventoryRenderer.printTable(table, indent: "  ")
        if let first = initialised.first?.uri {
            Console.out("In a fleet file: token: \"\(first)\" (the label and serial select exactly that token)")
        }
    }
}

/// What `tokens --json` prints.
struct TokensReport: Encodable {
    let module: String
    let tokens: [DiscoveredToken]
}
