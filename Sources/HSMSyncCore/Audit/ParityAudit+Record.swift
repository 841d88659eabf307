public import HSMSyncModel
import SignedLog

extension ParityAudit {
    /// Appends the audit's `audit.parity` entry to the fleet's signed log and signs a checkpoint.
    ///
    /// Recording comes before any output is written, so the report, the metrics and the exit code
    /// can all carry one verdict: a report that could not be recorded becomes an `error` with
    /// ``AuditReport/Record`` saying why. A fleet without `log:` gets the report back unchanged.
    ///
    /// - Parameter reportDigest: SHA-256 of the report's compact JSON as audited (before `record`
    ///   is added), which the entry keeps.
    /// - Parameter actor: who the entry names (the service names itself).
    /// - Parameter fence: passed before the entry is appended (a leader's term, in the service).
    public static func record(
        _ report: AuditReport, fleet: Fleet, connector: any HSMConnector, reportDigest: AuditDigest,
        actor: AuditActor = .operatorOnThisHost, fence: (any WriteFence)? = nil
    ) async -> AuditReport {
        guard fleet.log != nil else { return report }
        let trail: AuditTrail
        do {
            trail = try await AuditTrail.open(for: fleet, actor: actor, connector: connector)
        } catch {
            return report.with(record: .failed(error))
        }
        if let fence { await trail.fence(with: fence) }
        do {
            try await trail.record(
                report.auditEntry(actor: trail.actor, reportDigest: reportDigest, fleetDigest: fleet.fileDigest))
            try await trail.checkpoint()
            try await trail.close()
            return report.with(record: .recorded)
        } catch {
            try? await trail.close()
            return report.with(record: .failed(error))
        }
    }
}
