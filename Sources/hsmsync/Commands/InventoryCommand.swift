import ArgumentParser
import Foundation
import HSMSyncCore
import HSMSyncModel
import SignedLog

/// `hsmsync inventory --fleet F [--hsm NAME]... [--json]`.
struct InventoryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inventory",
        abstract: "List every object on every HSM (or the ones named), with flags and fingerprints.",
        discussion: """
            One enumeration pass per token, all HSMs in parallel. Secret material is never read: keys are \
            fingerprinted (SPKI digest, transport-wrap digest, CMAC or ECB check value) or marked unavailable \
            with the reason. Odd objects (no label and no ID, no value, vendor classes) are listed, never fatal. \
            Exit 0 when every HSM was read, 3 when one could not be, 2 for invalid input.

            Example: hsmsync inventory --fleet fleet.yaml --hsm dr-1 (or --hsm 'pkcs11:token=dr')
            """
    )

    @OptionGroup var fleetOptions: FleetOptions
    @Option(
        name: .customLong("hsm"),
        help: ArgumentHelp("Only this HSM, by name or token URI (repeatable).", valueName: "name"))
    var hsmNames: [String] = []
    @OptionGroup var output: OutputOptions

    func run() async throws {
        let fleet = try fleetOptions.load()
        let selected = try fleet.select(hsmNames)
        let environment = Environment.shared
        let progress = ProgressBar()
        let scans = await InventoryScanner(connector: environment.connector)
            .scan(selected, of: fleet, events: progress.events)
        progress.finish()
        let report = InventoryReport(fleet: fleet.name, generatedAt: Date(), scans: scans)
        if output.json {
            try JSONOutput.print(report)
        } else {
            InventoryRenderer.render(report)
        }
        if scans.contains(where: { $0.error != nil }) {
            throw ExitStatus.runtimeFailure.exitCode
        }
    }
}

/// What `inventory --json` prints.
struct InventoryReport: Encodable {
    let fleet: String
    let generatedAt: Date
    let hsms: [Entry]

    struct Entry: Encodable {
        let name: String
        let role: HSMRole
        let site: String
        let reachable: Bool
        /// `ok`, `unreachable`, `pin-refused` or `failed` (``HSMError/state``).
        let state: String
        let error: String?
        let token: TokenSummary?
        let transport: TransportKeyState?
        let objectCount: Int
        let vanished: Int
        let scanSeconds: Double?
        let phases: ScanPhases?
        let objects: [KeyRecord]
    }

    init(fleet: String, generatedAt: Date, scans: [HSMScan]) {
        self.fleet = fleet
        self.generatedAt = generatedAt
        hsms = scans.map { scan in
            let configuration = scan.configuration
            let inventory = scan.inventory
            return Entry(
                name: configuration.name, role: configuration.role, site: configuration.site,
                reachable: inventory != nil, state: scan.error?.state ?? "ok",
                error: scan.error?.reason, token: inventory?.token, transport: inventory?.transport,
                objectCount: inventory?.objects.count ?? 0, vanished: inventory?.vanished ?? 0,
                scanSeconds: inventory?.scanSeconds, phases: inventory?.phases,
                objects: (inventory?.objects ?? []).map { record in
                    var shown = record
                    if let token = inventory?.token {
                        shown.uri = PKCS11URIs.object(record, tokenLabel: token.label, serial: token.serial)
                    }
                    return shown
                })
        }
    }
}
