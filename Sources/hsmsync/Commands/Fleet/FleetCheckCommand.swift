import ArgumentParser
import HSMSyncCore
import HSMSyncModel
import SignedLog

/// `hsmsync fleet check --fleet F [--json]`.
struct FleetCheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract:
            "Reach every HSM: token, login, mechanisms, what it can replicate with the others, the transport key.",
        discussion: """
            Every HSM is checked in parallel; one that fails never hides the others. Each token's capabilities \
            are probed (wrap methods and the PKCS#11 mechanism for each, EC, key attributes it refuses on token \
            objects), and for every two HSMs the wrap method each kind of key (AES, RSA, EC) would travel by. \
            Exit 0 when every HSM was reached, logged in and can replicate with another; 1 (degraded) when one \
            cannot replicate with any other HSM; 3 when one was unreachable or refused the login; 2 when the \
            fleet file is invalid (including a token URI that matches several tokens). A p11-kit server that is \
            not running is reported as unreachable, never as an empty HSM.

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
        if report.isDegraded {
            throw ExitStatus.driftOrIntegrityFailure.exitCode
        }
    }
}
