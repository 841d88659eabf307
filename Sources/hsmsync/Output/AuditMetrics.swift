import Foundation
import HSMSyncCore
import HSMSyncModel
import Prometheus
import SignedLog

/// The audit as Prometheus text exposition, for node_exporter's textfile collector.
enum AuditMetrics {
    /// - Parameter drill: the fleet's last successful `backup drill` (`backup-drill.json` in its
    ///   state directory), exported as "last verified restorable"; absent until a drill succeeded.
    static func exposition(_ report: AuditReport, drill: BackupDrillState? = nil) -> [UInt8] {
        let registry = PrometheusCollectorRegistry()
        func gauge(_ subsystem: String, _ name: String, unit: String = "", _ help: String, _ labels: [(String, String)])
            -> Gauge
        {
            registry.makeGauge(
                descriptor: MetricNameDescriptor(
                    namespace: "hsmsync", subsystem: subsystem, metricName: name, unitName: unit, helpText: help),
                labels: labels)
        }
        let fleet = [("fleet", report.fleet)]
        gauge("audit", "last_run_timestamp", unit: "seconds", "When the last parity audit ran (Unix time).", fleet)
            .set(to: report.generatedAt.timeIntervalSince1970)
        gauge("audit", "duration", unit: "seconds", "How long the last parity audit took.", fleet)
            .set(to: report.durationSeconds)
        gauge("audit", "parity", "1 when the last audit's status is parity, else 0.", fleet)
            .set(to: report.status == .parity ? 1 : 0)
        gauge(
            "audit", "status",
            "The last audit's exit code: 0 parity, 1 drift, 2 or 3 an HSM could not be audited or the audit not recorded.",
            fleet
        ).set(to: Double(AuditCommand.exitStatus(of: report).rawValue))
        if let record = report.record {
            gauge("audit", "recorded", "1 when the last audit was recorded in the fleet's signed log, else 0.", fleet)
                .set(to: record.state == .recorded ? 1 : 0)
        }
        for kind in Finding.Kind.allCases {
            gauge("audit", "findings", "Findings of the last audit, by kind.", fleet + [("kind", kind.rawValue)])
                .set(to: Double(report.counts[kind.rawValue] ?? 0))
        }
        for hsm in report.hsms {
            let labels = fleet + [("hsm", hsm.name), ("role", hsm.role.rawValue), ("site", hsm.site)]
            gauge("hsm", "reachable", "1 when the HSM was reached and scanned by the last audit.", labels)
                .set(to: hsm.reachable ? 1 : 0)
            gauge("hsm", "objects", "Objects on the HSM's token.", labels).set(to: Double(hsm.objects))
            gauge("hsm", "keys_in_scope", "Objects compared across the fleet.", labels).set(to: Double(hsm.keysInScope))
            gauge("hsm", "findings", "Findings about the HSM in the last audit.", labels).set(to: Double(hsm.findings))
            gauge("hsm", "odd_objects", "Odd objects (ghosts, vendor classes) on the HSM.", labels)
                .set(to: Double(report.oddObjects.filter { $0.hsm == hsm.name }.count))
        }
        if let drill {
            gauge(
                "backup", "last_verified_restorable_timestamp", unit: "seconds",
                "When a backup bundle was last proven restorable by hsmsync backup drill (Unix time).",
                fleet + [("source", drill.source)]
            ).set(to: Double(drill.verifiedAt))
        }
        var bytes: [UInt8] = []
        registry.emit(into: &bytes)
        return bytes
    }
}
