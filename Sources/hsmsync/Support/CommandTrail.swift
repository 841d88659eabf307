import HSMSyncCore
import HSMSyncModel
import SignedLog

extension Environment {
    /// Opens the fleet's signed log before any HSM is touched: a command that changes HSMs does not
    /// start when a configured log cannot record it.
    func trail(for fleet: Fleet) async throws -> AuditTrail {
        try await AuditTrail.open(for: fleet, connector: connector)
    }
}

extension AuditTrail {
    /// Records the failure and releases the log; a log problem is reported on stderr and never
    /// replaces the error the operator needs to see.
    func fail(_ action: AuditAction, hsms: [String], error: any Error) async {
        if let problem = await recordFailure(action, hsms: hsms, error: error) {
            Console.error("hsmsync: warning: the audit log could not record this failure: \(problem)")
        }
        do { try await close() } catch {
            Console.error("hsmsync: warning: the audit log could not be closed: \(error)")
        }
    }
}
