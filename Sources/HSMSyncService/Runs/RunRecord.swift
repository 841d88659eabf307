public import Foundation
import HSMSyncModel

/// What a run does.
public enum RunKind: String, Sendable, Codable, CaseIterable {
    /// A parity audit (scheduled or `POST /v1/audits`).
    case audit
    /// A watch cycle that copied keys (`sync.mode: automatic`).
    case sync
    /// `POST /v1/reconcile`.
    case reconcile
    /// A scheduled restore drill.
    case drill
}

/// Where a run is in its life.
public enum RunState: String, Sendable, Codable, CaseIterable {
    case queued, running, succeeded, failed
}

/// One run of the service, as `/v1/runs/{id}` shows it. The report is the same JSON document the
/// command line prints for the same work (`audit --json`, `reconcile --json`), kept verbatim.
public struct RunRecord: Sendable, Hashable {
    public let id: String
    public let kind: RunKind
    public var state: RunState
    /// The instance that ran it.
    public let instance: String
    /// Who asked: `schedule`, `watch`, `startup` (a missed scheduled run) or `token:<name>`.
    public let requestedBy: String
    public let queuedAt: Date
    public var startedAt: Date?
    public var finishedAt: Date?
    /// `parity`, `drift` or `error` for audits; `copied`, `nothing-to-do`, `partial` for syncs.
    public var status: String?
    /// Findings (audits) or copies (syncs) in the run.
    public var count: Int?
    /// The report, as UTF-8 JSON.
    public var report: [UInt8]?
    /// Why a failed run failed (never a secret).
    public var error: String?

    public init(id: String, kind: RunKind, instance: String, requestedBy: String, queuedAt: Date) {
        self.id = id
        self.kind = kind
        self.state = .queued
        self.instance = instance
        self.requestedBy = requestedBy
        self.queuedAt = queuedAt
    }

    /// `audit-20261207T020000Z-9f3a`: sortable by time, unique across instances.
    public static func newID(kind: RunKind, at date: Date) -> String {
        let suffix = String(UInt32.random(in: 0x1_0000...0x1_FFFF), radix: 16).dropFirst()
        return "\(kind.rawValue)-\(RFC3339.basicSeconds.string(from: date))-\(suffix)"
    }
}
