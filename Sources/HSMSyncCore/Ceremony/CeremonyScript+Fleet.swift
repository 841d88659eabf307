public import HSMSyncModel
import SignedLog

extension CeremonyScript {
    /// Checks the script against its fleet, without touching an HSM: every HSM a step names exists,
    /// no `backup-restore` targets a primary, the fleet keeps a signed log (a ceremony is never run
    /// unrecorded), and every action can be executed by this build.
    ///
    /// - Throws: ``YAMLError`` with the step's YAML path, or ``CeremonyError/actionUnavailable(step:path:action:reason:)``.
    public func validate(against fleet: Fleet) throws {
        guard fleet.log != nil else {
            throw YAMLError(
                file: path, path: "fleet", line: nil,
                reason: "the fleet \(fleet.path) has no log: section; a ceremony is only run with a signed log")
        }
        let known = fleet.hsms.map(\.name)
        for step in steps {
            for hsm in step.action.hsms where !known.contains(hsm) {
                throw YAMLError(
                    file: path, path: "\(step.path).with", line: nil,
                    reason: "step \(step.id) names HSM \"\(hsm)\", which the fleet \(fleet.name) does not have "
                        + "(its HSMs: \(known.joined(separator: ", ")))")
            }
            if case .backupRestore(_, let hsm, _) = step.action, fleet.hsm(named: hsm)?.role == .primary {
                throw YAMLError(
                    file: path, path: "\(step.path).with.hsm", line: nil,
                    reason: "step \(step.id) restores into \(hsm), a primary: a primary is never a restore target")
            }
        }
        try checkAvailability()
    }

    /// Refuses a script with actions this build cannot execute (the first one, named).
    public func checkAvailability() throws(CeremonyError) {
        for step in steps {
            if let reason = step.action.unavailableReason {
                throw .actionUnavailable(step: step.id, path: step.path, action: step.action.name, reason: reason)
            }
        }
    }
}
