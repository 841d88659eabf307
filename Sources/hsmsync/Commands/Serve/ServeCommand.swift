import ArgumentParser

/// `hsmsync serve`: the synchronization service, and its token and API-document helpers.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the synchronization service: scheduled audits, automatic sync, HTTP API, status page, metrics.",
        discussion: """
            Reads the fleet file's service: section. See docs/service.md for the HTTP API and \
            docs/runbooks/service.md for installing, tokens, TLS and upgrades.

            Example: hsmsync serve --fleet /etc/hsmsync/fleet.yaml --log-format json
            """,
        subcommands: [ServeRunCommand.self, ServeTokenCommand.self, ServeOpenAPICommand.self],
        defaultSubcommand: ServeRunCommand.self
    )
}
