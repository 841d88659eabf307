import ArgumentParser
import HSMSyncCore
import HSMSyncModel
import SignedLog

/// `hsmsync transport create --fleet F --hsm NAME --shares N --threshold M (--out-dir DIR | --show)`.
struct TransportCreateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create",
        abstract: "Create the transport key on one HSM and split it into custodian shares.",
        discussion: """
            256 bits from the HSM's random generator become the transport key; SLIP-0039 splits them into N \
            shares, any M of which rebuild it (M ≥ 2; N < 2M recommended). The shares are written to one file \
            per custodian (mode 0600, never overwriting) or shown on the terminal one custodian at a time, \
            before the key is installed under the fleet's transport label (WRAP and UNWRAP only, \
            non-extractable, sensitive, non-modifiable, non-copyable) by C_UnwrapKey under an ephemeral \
            RSA-3072 OAEP key made inside the HSM where the token allows it, else by C_CreateObject (SoftHSM2: \
            see docs/transport-key.md). The key is read back and its check value compared before success is \
            reported. Nothing is changed when the HSM already holds an object with the transport \
            label or a share file exists; if the install fails, the share files are removed again.

            Example: hsmsync transport create --fleet fleet.yaml --hsm primary-1 --shares 5 --threshold 3 --out-dir /media/ceremony/shares
            """
    )

    @OptionGroup var fleetOptions: FleetOptions
    @OptionGroup var output: OutputOptions

    @Option(name: .long, help: ArgumentHelp("The HSM to create the key on (its name or token URI).", valueName: "name"))
    var hsm: String

    @Option(
        name: .customLong("shares"), help: ArgumentHelp("N: shares to make, one per custodian (≤ 16).", valueName: "n"))
    var shareCount: Int

    @Option(name: .long, help: ArgumentHelp("M: shares needed to rebuild the key (≥ 2).", valueName: "m"))
    var threshold: Int

    @Option(
        name: .customLong("out-dir"),
        help: ArgumentHelp("Write one share file per custodian into this existing directory.", valueName: "dir"))
    var outDirectory: String?

    @Flag(name: .long, help: "Show the shares on the terminal instead, one custodian at a time.")
    var show = false

    func validate() throws {
        guard (outDirectory != nil) != show else {
            throw ValidationError("give exactly one of --out-dir DIR and --show")
        }
    }

    func run() async throws {
        let fleet = try fleetOptions.load()
        let hsm = try fleet.hsmName(for: self.hsm)
        let parameters = try TransportShareParameters(threshold: threshold, count: shareCount)
        guard fleet.hsm(named: hsm) != nil else {
            throw TransportError.invalidHSMSelection(
                "the fleet \(fleet.name) has no HSM called \(hsm) (its HSMs: "
                    + fleet.hsms.map(\.name).joined(separator: ", ") + ")")
        }
        let plan = try outDirectory.map { try ShareFilePlan(directory: $0, count: parameters.count) }
        let screen = show ? try CustodianScreen() : nil
        for warning in parameters.warnings {
            Console.error("warning: \(warning)")
        }

        let environment = Environment.shared
        let trail = try await environment.trail(for: fleet)
        let worker: any HSMEndpoint
        do { worker = try await environment.worker(named: hsm, in: fleet) } catch {
            await trail.fail(.transportGenerate, hsms: [hsm], error: error)
            throw error
        }
        let label = fleet.transport.label
        var action = AuditAction.transportGenerate
        do {
            let generated = try await TransportKeyCreation(label: label, parameters: parameters).generate(on: worker)
            try await trail.recordOutcome(.transportGenerate, generated.summary)
            action = .transportSharesDelivered
            var written: [String] = []
            if let plan {
                written = try plan.write(generated, fleet: fleet.name)
            } else if let screen {
                try screen.show(generated, fleet: fleet.name)
            }
            try await trail.record(
                .transportSharesDelivered,
                outputs: [
                    "set": .integer(Int64(generated.material.shareSet.identifier)),
                    "count": .integer(Int64(parameters.count)), "threshold": .integer(Int64(parameters.threshold)),
                    "delivery": .string(written.isEmpty ? "screen" : "files"),
                    "files": .array(written.map { .string($0) }),
                ])
            action = .transportInstall
            let result: TransportKeyInstallResult
            do {
                result = try await TransportKeyInstaller(label: label).install(generated.material, on: worker)
            } catch {
                if !written.isEmpty {
                    ShareFilePlan.remove(written)
                    Console.error("hsmsync: the key was not installed; the share files written were removed")
                } else if screen != nil {
                    Console.error(
                        "hsmsync: the key was NOT installed: the shares shown are worthless and every custodian must "
                            + "destroy what they wrote down")
                }
                throw error
            }
            await worker.close()
            try await trail.recordOutcome(.transportInstall, result)
            try await trail.close()
            if output.json {
                try JSONOutput.print(
                    CommandDocuments.TransportCreated(generated: generated.summary, installed: result, files: written))
            } else {
                TransportRenderer.renderCreated(result, generated: generated.summary, files: written)
            }
        } catch {
            await worker.close()
            await trail.fail(action, hsms: [hsm], error: error)
            throw error
        }
    }
}
