import Foundation
import HSMSyncModel
import SignedLog

extension ReconcileRun {
    func report(
        fleet: Fleet, apply: Bool, audit: AuditReport, plan: ReconcilePlan, scans: [HSMScan], execution: Execution,
        recovered: [ReconcileReport.Recovered], generatedAt: Date, started: ContinuousClock.Instant
    ) -> ReconcileReport {
        var failures = scans.compactMap { scan in
            scan.error.map {
                ReconcileReport.Failure(
                    hsm: scan.configuration.name, key: nil, reason: $0.state, detail: $0.reason,
                    securityEvent: false)
            }
        }
        failures += execution.failures
        for decision in recovered where decision.outcome == "refused" {
            failures.append(
                .init(
                    hsm: decision.destination, key: nil, reason: "journal",
                    detail:
                        "pending copy \(decision.op) of \(decision.key): the journal record differs from the intent "
                        + "the signed log holds (edited?); recovery did nothing for it",
                    securityEvent: true))
        }
        func resolved(_ finding: Finding) -> Bool {
            guard finding.kind == .missing, let key = finding.key else { return false }
            let identity = KeyIdentity(objectClass: key.class, label: key.label, id: key.id)
            return execution.promoted.contains("\(finding.hsm)\u{0}\(identity.description)")
        }
        var policy = audit.findings.filter { $0.kind == .policy }
        // A copy carries its source's policy problems to its destination.
        for copy in execution.copied {
            for finding in policy
            where finding.hsm == copy.source && finding.key?.label == copy.key.label
                && finding.key?.id == copy.key.id
            {
                policy.append(
                    Finding(
                        kind: .policy, hsm: copy.destination, reference: nil, key: finding.key, detail: finding.detail))
            }
        }
        for copy in execution.copied {
            guard let weakened = copy.weakened else { continue }
            policy.append(
                Finding(
                    kind: .policy, hsm: copy.destination, reference: copy.source, key: copy.key,
                    detail:
                        "weaker than on \(copy.source): \(copy.destination) cannot hold \(weakened.joined(separator: ", ")) "
                        + "on token objects (its token refuses the attribute)"))
        }
        let remaining = audit.findings.filter {
            ![.policy, .capabilityGap, .materialMismatch, .unreachable].contains($0.kind) && !resolved($0)
        }
        let status: AuditReport.Status
        if !failures.isEmpty || execution.interrupted != nil {
            status = .error
        } else if !apply {
            status = audit.status
        } else {
            status = remaining.isEmpty && plan.conflicts.isEmpty ? .parity : .drift
        }
        let elapsed = ContinuousClock.now - started
        return ReconcileReport(
            fleet: fleet.name, applied: apply, status: status, generatedAt: generatedAt,
            durationSeconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18,
            planned: plan.copies.map(Self.planned),
            copied: execution.copied, skipped: plan.skipped, conflicts: plan.conflicts, failures: failures,
            policy: policy, remaining: remaining, recovered: recovered, interrupted: execution.interrupted,
            notDone: execution.notDone.map(Self.planned))
    }

    static func planned(_ copy: ReconcilePlan.Copy) -> ReconcileReport.Planned {
        .init(
            key: copy.key, source: copy.source, destination: copy.destination,
            withPublicKey: copy.publicKey != nil && !copy.publicKeyPresent, method: copy.method)
    }
}
