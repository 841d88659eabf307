import ArgumentParser
import Foundation
import HSMSyncCore
import HSMSyncModel
import HSMSyncService

/// `hsmsync serve token add --fleet F --name N --role reader|operator`.
struct ServeTokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token", abstract: "Manage the service's API tokens.",
        discussion: "Example: hsmsync serve token add --fleet fleet.yaml --name prometheus --role reader",
        subcommands: [Add.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create an API token, print it once, and store only its SHA-256 in the token file.",
            discussion: """
                The token file is the one the fleet file's service.tokens names (created with mode 0600). \
                A running service reads it again on SIGHUP.

                Example: hsmsync serve token add --fleet fleet.yaml --name oncall --role operator
                """)

        @OptionGroup var fleetOptions: FleetOptions
        @Option(name: .long, help: "A name for the token (who or what uses it).")
        var name: String
        @Option(name: .long, help: "reader (every GET under /v1) or operator (also the POSTs).")
        var role: String

        func run() async throws {
            guard let parsedRole = APIRole(rawValue: role) else {
                throw ValidationError("--role: reader or operator")
            }
            guard !name.isEmpty, name.count <= 64,
                name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "._@-".contains($0)) })
            else {
                throw ValidationError(APITokenError.badName(name).description)
            }
            let fleet = try fleetOptions.load()
            guard let settings = fleet.service else { throw ServiceConfigurationError.noServiceSection(fleet.path) }
            var file = try APITokenFile.load(from: settings.tokensPath)
            let token = try file.add(name: name, role: parsedRole, at: Date())
            Console.out(token)
            Console.error(
                "hsmsync: token \"\(name)\" (\(parsedRole.rawValue)) added to \(settings.tokensPath); "
                    + "it is shown only this once. Send it as: Authorization: Bearer <token>")
        }
    }
}
