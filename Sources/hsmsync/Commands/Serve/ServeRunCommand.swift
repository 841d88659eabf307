import ArgumentParser
import Foundation
import Glibc
import HSMSyncCore
import HSMSyncModel
import HSMSyncService
import Logging
import PKCS11Endpoint

/// `hsmsync serve [run] --fleet F [--check] [--log-format text|json]`.
struct ServeRunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Start the service (the default: `hsmsync serve --fleet F`).",
        discussion: """
            Runs until SIGTERM or SIGINT: then it takes no new work, lets the HSM operation in flight \
            finish (or abandons it after a few seconds; the next run recovers it from the journal) and \
            exits 0. SIGHUP re-reads the fleet file and the token file; a broken one is refused and the \
            old configuration kept. Exit 2: the fleet file or its service: section is invalid (the message \
            names the YAML path), or plain HTTP was asked for on an address that is not loopback.

            Example: hsmsync serve --fleet fleet.yaml --check, then hsmsync serve --fleet fleet.yaml
            """
    )

    enum LogFormat: String, ExpressibleByArgument, CaseIterable {
        case text, json
    }

    @OptionGroup var fleetOptions: FleetOptions
    @Flag(name: .long, help: "Check the configuration (fleet file, service section, TLS, tokens, database) and exit.")
    var check = false
    @Option(name: .long, help: "Log lines as text or as one JSON object per line (for log shippers).")
    var logFormat: LogFormat = .text
    @Option(name: .long, help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: String = "info"

    func run() async throws {
        guard let level = Logger.Level(rawValue: logLevel) else {
            throw ValidationError("--log-level: one of trace, debug, info, notice, warning, error, critical")
        }
        let format = logFormat
        let logger = Logger(label: "hsmsync.serve") { label in
            switch format {
            case .json: return JSONLineLogHandler(label: label, level: level)
            case .text:
                var handler = StreamLogHandler.standardError(label: label)
                handler.logLevel = level
                return handler
            }
        }
        let path = fleetOptions.fleet
        let fleet = try fleetOptions.load()
        let passed = try await ServiceCheck.run(fleet, logger: logger)
        if check {
            for line in passed { Console.out("✓ \(line)") }
            Console.out("ok: hsmsync serve can start with \(path)")
            return
        }
        let runner = ServiceRunner(
            fleet: fleet, connector: FleetConnector(logger: logger), logger: logger,
            reloadFleet: {
                let fleet = try Fleet.load(from: path)
                guard fleet.service != nil else { throw ServiceConfigurationError.noServiceSection(path) }
                return fleet
            })
        try await runner.run()
        // Every session is closed and the database too. `exit` would now run the PKCS#11 modules'
        // static destructors while their worker threads still exist, which can hang (seen with
        // SoftHSM2); nothing is left to flush, so end the process here.
        fflush(nil)
        Glibc._exit(ExitStatus.success.rawValue)
    }
}
