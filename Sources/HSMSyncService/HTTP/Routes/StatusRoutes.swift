import Foundation
import HSMSyncModel
import Hummingbird

/// `GET /v1/status`: the fleet as the service sees it now.
struct StatusDocument: Codable, Sendable {
    struct Leader: Codable, Sendable {
        let instance: String
        /// When this instance saw the term begin.
        let since: Date
        /// The lease's epoch: it goes up at every change of leader.
        let epoch: Int
    }

    struct LastAudit: Codable, Sendable {
        let id: String
        let startedAt: Date?
        let finishedAt: Date?
        let status: String?
        let state: RunState
    }

    let fleet: String
    let status: FleetSnapshot.Status
    let since: Date
    let instance: String
    /// `leader` (runs scheduled and automatic work) or `follower` (serves reads).
    let role: String
    /// `null` while no instance holds the lease.
    let leader: Leader?
    let lastAudit: LastAudit?
    let hsms: [FleetSnapshot.HSM]
    let syncMode: String
    let syncLagSeconds: Double
    let lastWatchAt: Date?
    let lastWatchSeconds: Double?
}

enum StatusRoutes {
    static func healthz(_: Request, _: ServiceContext, _: ServiceEnvironment) async throws -> Response {
        .json(Array(#"{"status":"ok"}"#.utf8))
    }

    static func readyz(_: Request, _: ServiceContext, environment: ServiceEnvironment) async throws -> Response {
        guard await environment.store.ping() else {
            throw APIError(.serviceUnavailable, code: "database-unreachable", "the state database does not answer")
        }
        return .json(Array(#"{"ready":true}"#.utf8))
    }

    static func status(_: Request, _: ServiceContext, environment: ServiceEnvironment) async throws -> Response {
        try .json(try await document(environment))
    }

    static func document(_ environment: ServiceEnvironment) async throws -> StatusDocument {
        let coordinator = environment.coordinator
        let snapshot = coordinator.snapshot
        let fleet = coordinator.fleet
        let leader = coordinator.leadership.leader
        let audit = try await environment.store.runs(kind: .audit, limit: 1).first
        return StatusDocument(
            fleet: fleet.name, status: snapshot.status, since: snapshot.since, instance: environment.instance,
            role: coordinator.leadership.isLeader ? "leader" : "follower",
            leader: leader.map { .init(instance: $0.instance, since: $0.since, epoch: $0.epoch) },
            lastAudit: audit.map {
                .init(id: $0.id, startedAt: $0.startedAt, finishedAt: $0.finishedAt, status: $0.status, state: $0.state)
            },
            hsms: snapshot.hsms, syncMode: fleet.service?.sync.mode.rawValue ?? "plan",
            syncLagSeconds: snapshot.syncLagSeconds, lastWatchAt: snapshot.lastWatchAt,
            lastWatchSeconds: snapshot.lastWatchSeconds)
    }
}
