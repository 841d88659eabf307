import ArgumentParser
import Foundation
import HSMSyncCore
import HSMSyncModel
import HSMSyncService
import SignedLog

/// `hsmsync audit --fleet F [--json] [--out FILE] [--metrics FILE] [--strict-policy]`.
struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Prove that every HSM holds the same keys, with the same material and policy.",
        discussion: """
            Every HSM is scanned in parallel and compared by class, label and CKA_ID, material by fingerprint. \
            Exit 0 parity, 1 drift, 2 invalid input, 3 an HSM could not be audited (the others still are) or, \
            with a log: section, the audit could not be recorded in the signed log (the report then says error). \
            Policy findings (risky attribute combinations) are reported but count as drift only with \
            --strict-policy. See docs/audit-report.md for every field and docs/runbooks/nightly-parity-audit.md.

            Example: hsmsync audit --fleet fleet.yaml --out parity.md --metrics /var/lib/prometheus/node-exporter/hsmsync.prom
            """
    )

    @OptionGroup var fleetOptions: FleetOptions
    @OptionGroup var output: OutputOptions
    @Option(
        name: .long, help: ArgumentHelp("Also write a Markdown report here (replaced atomically).", valueName: "file"))
    var out: String?
    @Option(
        name: .long,
        help: ArgumentHelp(
            "Also write Prometheus metrics here, atomically (node_exporter textfile collector).", valueName: "file"))
    var metrics: String?
    @Flag(name: .long, help: "Count policy findings as drift.")
    var strictPolicy = false

    func run() async throws {
        let fleet = try fleetOptions.load()
        let environment = Environment.shared
        let progress = ProgressBar()
        let audit = ParityAudit(scanner: InventoryScanner(connector: environment.connector), strictPolicy: strictPolicy)
        let audited = await audit.run(fleet, events: progress.events)
        progress.finish()
        // Recorded before anything is written, so every output carries the same verdict.
        let digest = AuditDigest.sha256(of: try StreamingJSONEncoder(prettyPrinted: false).encode(audited))
        let report = await ParityAudit.record(
            audited, fleet: fleet, connector: environment.connector, reportDigest: digest)

        if let out {
            try DurableFile.replace(out, with: Array(MarkdownAuditReport.render(report).utf8))
        }
        if let metrics {
            let drill = BackupDrillState.read(for: fleet)
            try DurableFile.replace(metrics, with: AuditMetrics.exposition(report, drill: drill))
        }
        if output.json {
            try JSONOutput.print(report)
        } else {
            AuditRenderer.render(report)
        }
        if let record = report.record, record.state == .failed {
            Console.error("hsmsync: the audit could not be recorded in the signed log: \(record.error ?? "")")
        }
        throw Self.exitStatus(of: report).exitCode
    }

    /// The exit code the report's verdict stands for. An audit that could not be recorded exits 3
    /// (2 when the log's configuration is at fault), never 1: 1 is drift, a result.
    static func exitStatus(of report: AuditReport) -> ExitStatus {
        ExitStatus(rawValue: report.exitCode) ?? .runtimeFailure
    }
}
