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
            Exit 0 parity, 1 drift, 2 invalid input, 3 an HSM could not be audited (the others still are). \
            Policy findings (risky attribute combinations) are reported but count as drift only with \
            --strict-policy. See docs/audit-report.md for every field and docs/runbooks/nightly-parity-audit.md.
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
        let report = await audit.run(fleet, events: progress.events)
        progress.finish()

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
        if fleet.log != nil {
            try await record(report, fleet: fleet)
        }
        switch report.status {
        case .parity: return
        case .drift: throw ExitStatus.driftOrIntegrityFailure.exitCode
        case .error: throw ExitStatus.runtimeFailure.exitCode
        }
    }

    /// Appends the parity entry to the fleet's signed log and signs a checkpoint. A configured log
    /// that cannot take the entry fails the run (the report is already out): the record is part of the job.
    private func record(_ report: AuditReport, fleet: Fleet) async throws {
        let reportBytes = try StreamingJSONEncoder(prettyPrinted: false).encode(report)
        let trail = try await AuditTrail.open(for: fleet, connector: Environment.shared.connector)
        try await trail.record(
            report.auditEntry(actor: trail.actor, reportDigest: .sha256(of: reportBytes), fleetDigest: fleet.fileDigest)
        )
        try await trail.checkpoint()
        try await trail.close()
    }
}
