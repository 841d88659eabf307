import HSMSyncCore
import HSMSyncModel
import SignedLog

/// Human output of `hsmsync reconcile`: the plan (or what was done), then what is left and why.
enum ReconcileRenderer {
    static func render(_ report: ReconcileReport) {
        var lines: [String] = []
        if report.applied {
            lines.append(
                report.interrupted.map { signal in
                    "INTERRUPTED (\(signal)) fleet \(report.fleet): \(report.copied.count) of \(report.planned.count) "
                        + "copies copied and verified, \(report.notDone.count) not done (the next run plans them again)."
                } ?? "Reconciled fleet \(report.fleet): \(report.copied.count) copied and verified.")
            for copy in report.copied {
                lines.append(
                    "  copied  \(copy.key.displayName)  \(copy.source) → \(copy.destination)  [\(copy.proofs.joined(separator: ", "))]"
                        + (copy.weakened.map { "  weaker: \($0.joined(separator: ", "))" } ?? ""))
            }
        } else {
            lines.append(
                "Plan for fleet \(report.fleet) (nothing is changed without --apply): \(report.planned.count) copies.")
            for copy in report.planned {
                let extra = copy.withPublicKey ? " with its public key" : ""
                let method = copy.method.map { "  by \($0.rawValue)" } ?? ""
                lines.append("  copy    \(copy.key.displayName)\(extra)  \(copy.source) → \(copy.destination)\(method)")
            }
        }
        for copy in report.notDone {
            let extra = copy.withPublicKey ? " with its public key" : ""
            lines.append("  not done  \(copy.key.displayName)\(extra)  \(copy.source) → \(copy.destination)")
        }
        for item in report.recovered {
            lines.append(
                "  recovered  \(item.key) on \(item.destination): \(item.outcome) (interrupted run, op \(item.op))")
        }
        if !report.skipped.isEmpty {
            lines.append("Left, and why:")
            for skip in report.skipped {
                lines.append("  skip (\(skip.reason))  \(skip.key.displayName) → \(skip.destination): \(skip.detail)")
            }
        }
        for conflict in report.conflicts {
            lines.append(
                "  conflict  \(conflict.key?.displayName ?? "-") on \(conflict.hsm): \(conflict.detail) — never overwritten"
            )
        }
        for finding in report.remaining where finding.kind != .missing {
            lines.append(
                "  \(finding.kind.rawValue)  \(finding.key?.displayName ?? "") \(finding.hsm): \(finding.detail)")
        }
        for failure in report.failures {
            let event = failure.securityEvent ? " SECURITY EVENT, not retried" : ""
            lines.append(
                "  FAILED (\(failure.reason))\(event)  \(failure.key?.displayName ?? failure.hsm): \(failure.detail)")
        }
        if !report.policy.isEmpty {
            lines.append(
                "policy: \(report.policy.count) (e.g. keys without CKA_WRAP_WITH_TRUSTED; replicated, reported)")
        }
        lines.append("status: \(report.status.rawValue)")
        Console.out(lines.joined(separator: "\n"))
    }
}
