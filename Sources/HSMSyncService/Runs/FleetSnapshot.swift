public import Foundation
public import HSMSyncModel

/// What the service currently believes about the fleet: the newest evaluation, from an audit or a
/// watch cycle, and since when the status holds.
public struct FleetSnapshot: Sendable {
    /// `parity`, `drift`, `error`, or `unknown` before the first scan.
    public enum Status: String, Sendable, Codable {
        case parity, drift, error, unknown
    }

    public struct HSM: Sendable, Codable, Hashable {
        public let name: String
        public let role: HSMRole
        public let site: String
        public let reachable: Bool?
        public let objects: Int?
        public let lastScanAt: Date?
    }

    public var status: Status = .unknown
    /// When the status last changed (or the service started, if it has not).
    public var since: Date
    public var hsms: [HSM]
    /// The newest evaluation's report (audit or watch).
    public var report: AuditReport?
    /// When the last watch cycle ended, and how long it took.
    public var lastWatchAt: Date?
    public var lastWatchSeconds: Double?
    /// The longest current sync lag: seconds since the oldest key not yet present everywhere was
    /// first seen (0 when every key is everywhere).
    public var syncLagSeconds: Double = 0

    init(fleet: Fleet, now: Date) {
        since = now
        hsms = fleet.hsms.map {
            HSM(name: $0.name, role: $0.role, site: $0.site, reachable: nil, objects: nil, lastScanAt: nil)
        }
    }

    /// Takes in a new evaluation; returns the previous status when it changed.
    mutating func update(with report: AuditReport, at date: Date) -> Status? {
        let newStatus = Status(rawValue: report.status.rawValue) ?? .error
        let previous = status
        self.report = report
        hsms = report.hsms.map {
            HSM(
                name: $0.name, role: $0.role, site: $0.site, reachable: $0.reachable,
                objects: $0.reachable ? $0.objects : nil, lastScanAt: $0.reachable ? report.generatedAt : nil)
        }
        guard newStatus != previous else { return nil }
        status = newStatus
        since = date
        return previous
    }
}
