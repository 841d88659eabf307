import Foundation
public import HSMSyncCore
public import HSMSyncModel

/// The audit as Prometheus text exposition, for node_exporter's textfile collector (and the service's
/// `/metrics`): a pure function of the report, in a stable order.
public enum AuditMetrics {
    /// - Parameter drill: the fleet's last successful `backup drill` (`backup-drill.json` in its
    ///   state directory), exported as "last verified restorable"; absent until a drill succeeded.
    public static func exposition(_ report: AuditReport, drill: BackupDrillState? = nil) -> [UInt8] {
        var metrics = PrometheusExposition()
        let fleet = [("fleet", report.fleet)]
        metrics.gauge(
            "hsmsync_audit_last_run_timestamp_seconds", "When the last parity audit ran (Unix time).", fleet,
            report.generatedAt.timeIntervalSince1970)
        metrics.gauge(
            "hsmsync_audit_duration_seconds", "How long the last parity audit took.", fleet, report.durationSeconds)
        metrics.gauge(
            "hsmsync_audit_parity", "1 when the last audit's status is parity, else 0.", fleet,
            report.status == .parity ? 1 : 0)
        for status in AuditReport.Status.allCases {
            metrics.gauge(
                "hsmsync_audit_state",
                "The last audit's status: 1 for the one it had (parity, drift or error), 0 for the others.",
                fleet + [("status", status.rawValue)], report.status == status ? 1 : 0)
        }
        metrics.gauge(
            "hsmsync_audit_status",
            "Deprecated, use hsmsync_audit_state: the last audit's exit code (0 parity, 1 drift, 2 or 3 error).",
            fleet, legacyStatus(report))
        if let record = report.record {
            metrics.gauge(
                "hsmsync_audit_recorded", "1 when the last audit was recorded in the fleet's signed log, else 0.",
                fleet, record.state == .recorded ? 1 : 0)
        }
        for kind in Finding.Kind.allCases {
            metrics.gauge(
                "hsmsync_audit_findings", "Findings of the last audit, by kind.", fleet + [("kind", kind.rawValue)],
                Double(report.counts[kind.rawValue] ?? 0))
        }
        for hsm in report.hsms {
            perHSM(hsm, of: report, into: &metrics)
        }
        if let drill {
            metrics.gauge(
                "hsmsync_backup_last_verified_restorable_timestamp_seconds",
                "When a backup bundle was last proven restorable by hsmsync backup drill (Unix time).",
                fleet + [("source", drill.source)], Double(drill.verifiedAt))
        }
        return Array(metrics.text.utf8)
    }

    /// What `hsmsync_audit_status` has always held: the run's exit code.
    private static func legacyStatus(_ report: AuditReport) -> Double {
        Double(report.exitCode)
    }

    private static func perHSM(
        _ hsm: AuditReport.HSMSummary, of report: AuditReport, into metrics: inout PrometheusExposition
    ) {
        let labels = [("fleet", report.fleet), ("hsm", hsm.name), ("role", hsm.role.rawValue), ("site", hsm.site)]
        metrics.gauge(
            "hsmsync_hsm_reachable", "1 when the HSM was reached and scanned by the last audit.", labels,
            hsm.reachable ? 1 : 0)
        metrics.gauge("hsmsync_hsm_objects", "Objects on the HSM's token.", labels, Double(hsm.objects))
        metrics.gauge(
            "hsmsync_hsm_keys_in_scope", "Objects compared across the fleet.", labels, Double(hsm.keysInScope))
        metrics.gauge(
            "hsmsync_hsm_findings", "Findings about the HSM in the last audit.", labels, Double(hsm.findings))
        metrics.gauge(
            "hsmsync_hsm_odd_objects", "Odd objects (ghosts, vendor classes) on the HSM.", labels,
            Double(report.oddObjects.filter { $0.hsm == hsm.name }.count))
    }
}
