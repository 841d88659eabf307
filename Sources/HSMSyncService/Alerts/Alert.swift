import Foundation
public import HSMSyncModel

/// A transition worth telling someone about, POSTed as JSON to every webhook.
public enum Alert: Sendable {
    /// The fleet's status changed (parity → drift, drift → parity, … → error).
    case statusChanged(fleet: String, from: String, report: AuditReport)
    /// An audit could not be carried out or recorded.
    case auditFailed(fleet: String, run: String, reason: String)
    /// An HSM that was reachable no longer is.
    case hsmUnreachable(fleet: String, hsm: String, reason: String)

    /// `status-changed`, `audit-failed`, `hsm-unreachable`.
    public var event: String {
        switch self {
        case .statusChanged: "status-changed"
        case .auditFailed: "audit-failed"
        case .hsmUnreachable: "hsm-unreachable"
        }
    }

    /// The JSON body: fleet, event, status, what changed, a findings summary, and the run's path.
    func body(instance: String, at date: Date) -> [UInt8] {
        var object: [String: JSONValue] = [
            "event": .string(event), "instance": .string(instance),
            "time": .string(RFC3339.milliseconds.string(from: date)),
        ]
        switch self {
        case .statusChanged(let fleet, let from, let report):
            object["fleet"] = .string(fleet)
            object["status"] = .string(report.status.rawValue)
            object["changed"] = .string("\(from) → \(report.status.rawValue)")
            object["findings"] = .object(report.counts.filter { $0.value > 0 }.mapValues { .integer(Int64($0)) })
            object["link"] = .string("/v1/status")
        case .auditFailed(let fleet, let run, let reason):
            object["fleet"] = .string(fleet)
            object["status"] = .string("error")
            object["changed"] = .string("audit failed: \(reason)")
            object["link"] = .string("/v1/runs/\(run)")
        case .hsmUnreachable(let fleet, let hsm, let reason):
            object["fleet"] = .string(fleet)
            object["status"] = .string("error")
            object["hsm"] = .string(hsm)
            object["changed"] = .string("\(hsm) unreachable: \(reason)")
            object["link"] = .string("/v1/status")
        }
        return CanonicalJSON.encode(.object(object))
    }
}
