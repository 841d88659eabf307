import ArgumentParser

/// `hsmsync fleet …`: commands about the fleet as a whole.
struct FleetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fleet",
        abstract: "Check that every HSM of a fleet is reachable and capable.",
        discussion: "Example: hsmsync fleet check --fleet fleet.yaml",
        subcommands: [FleetCheckCommand.self]
    )
}
