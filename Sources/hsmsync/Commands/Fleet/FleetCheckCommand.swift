import ArgumentParser
import HSMSyncCore
import HSMSyncModel
import SignedLog

/// `hsmsync fleet check --fleet F [--json]`.
struct FleetCheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Reach every HSM: token, login, the mechanisms hsmsync relies on, the transport key.",
        discussion: """
            Every HSM is checked in parallel; one that fails never hides the others. Exit 0 when every HSM \
            was reached and logged in, 3 when one was unreachable or refused the login, 2 when the fleet file \
            is invalid (including a token URI that matches several tokens). A p11-kit server that is not \
            running is reported as unreachable, never as an empty HSM.

            Example: hsmsync fleet check --fleet /etc/hsmsync/fleet.yaml
            """
    )

    @OptionGroup var fleetOptions: FleetOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        let fleet = try fleetOptions.load()
        let environment = Environment.shared
        let report = await FleetCheck(connector: environment.connector).run(fleet)
        if output.json {
            try JSONOutput.print(report)
        } else {
            FleetCheckRenderer.render(report)
        }
        if let category = report.failureCategory {
            throw ExitStatus(category).exitCode
        }
    }
}
