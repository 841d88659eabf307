import ArgumentParser
import HSMSyncCore
import HSMSyncModel
import SecureMemory
import SignedLog

/// `hsmsync transport verify --fleet F [--json]`.
struct TransportVerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Prove that every HSM holds the same, locked-down transport key.",
        discussion: """
            On every HSM, in parallel: exactly one object under the transport label, no policy violation (WRAP \
            and UNWRAP only; sensitive, non-extractable, non-modifiable, non-copyable, private; mechanisms \
            restricted to AES key wrap; an unwrap template forcing CKA_SENSITIVE), and its transport check \
            value. Exit 0 when all check values are equal and nothing is wrong; 1 naming each odd HSM; 3 when \
            an HSM could not be checked (unreachable, PIN refused); 2 for an invalid fleet file.

            Example: hsmsync transport verify --fleet fleet.yaml --json
            """
    )

    @OptionGroup var fleetOptions: FleetOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        let fleet = try fleetOptions.load()
        let environment = Environment.shared
        let report = await TransportVerification(connector: environment.connector).run(fleet)
        if fleet.log != nil {
            // Recorded after the checks (a read-only command), before the answer is printed.
            let trail = try await environment.trail(for: fleet)
            try await trail.recordOutcome(.transportVerify, report)
            try await trail.close()
        }
        if output.json {
            try JSONOutput.print(report)
        } else {
            TransportRenderer.renderVerification(report)
        }
        if let category = report.failureCategory {
            throw ExitStatus(category).exitCode
        }
    }
}
