import Foundation
import HSMSyncModel
import Hummingbird

/// One run without its report (lists), or with it (`/v1/runs/{id}`).
struct RunSummary: Codable, Sendable {
    let id: String
    let kind: RunKind
    let state: RunState
    let instance: String
    let requestedBy: String
    let queuedAt: Date
    let startedAt: Date?
    let finishedAt: Date?
    let status: String?
    let findings: Int?
    let copied: Int?
    let error: String?

    init(_ run: RunRecord) {
        id = run.id
        kind = run.kind
        state = run.state
        instance = run.instance
        requestedBy = run.requestedBy
        queuedAt = run.queuedAt
        startedAt = run.startedAt
        finishedAt = run.finishedAt
        status = run.status
        findings = run.kind == .audit ? run.count : nil
        copied = run.kind == .audit ? nil : run.count
        error = run.error
    }
}

struct AuditList: Codable, Sendable {
    let audits: [RunSummary]
}

struct RunAccepted: Codable, Sendable {
    let id: String
    let kind: RunKind
    let state: RunState
    let location: String
}

enum RunRoutes {
    static func listAudits(_ request: Request, _: ServiceContext, environment: ServiceEnvironment) async throws
        -> Response
    {
        let limit = try QueryCheck.integer(request, "limit", default: 20, range: 1...500)
        let before = try QueryCheck.identifier(request, "before")
        let runs = try await environment.store.runs(kind: .audit, limit: limit, before: before)
        return try .json(AuditList(audits: runs.map(RunSummary.init)))
    }

    static func audit(_: Request, context: ServiceContext, environment: ServiceEnvironment) async throws -> Response {
        let id = try QueryCheck.pathIdentifier(context, "id")
        guard let run = try await environment.store.run(id: id), run.kind == .audit else { throw APIError.notFound }
        guard let report = run.report else {
            throw APIError(
                .notFound, code: "no-report-yet", "the audit is \(run.state.rawValue); follow /v1/runs/\(run.id)")
        }
        return .json(report)
    }

    static func startAudit(_ request: Request, context: ServiceContext, environment: ServiceEnvironment) async throws
        -> Response
    {
        try await start(.audit, request, context, environment)
    }

    static func startReconcile(_ request: Request, context: ServiceContext, environment: ServiceEnvironment)
        async throws -> Response
    {
        try await start(.reconcile, request, context, environment)
    }

    private static func start(
        _ kind: RunKind, _ request: Request, _ context: ServiceContext, _ environment: ServiceEnvironment
    ) async throws -> Response {
        try await RequestBody.checkEmptyObject(request, context: context)
        let run: RunRecord
        do {
            run = try await environment.coordinator.submit(kind, requestedBy: "token:\(context.tokenName ?? "?")")
        } catch RunRefused.notLeader(let leader) {
            throw APIError.notLeader(leader)
        } catch let refused as RunRefused {
            throw APIError(.conflict, code: "busy", refused.description)
        }
        let location = "/v1/runs/\(run.id)"
        return try .json(
            RunAccepted(id: run.id, kind: run.kind, state: run.state, location: location), status: .accepted,
            headers: [.location: location])
    }

    static func run(_: Request, context: ServiceContext, environment: ServiceEnvironment) async throws -> Response {
        let id = try QueryCheck.pathIdentifier(context, "id")
        guard let run = try await environment.store.run(id: id) else { throw APIError.notFound }
        // The summary, then the stored report verbatim as `report`.
        var bytes = try StreamingJSONEncoder(prettyPrinted: false).encode(RunSummary(run))
        if let report = run.report, bytes.last == UInt8(ascii: "}") {
            bytes.removeLast()
            bytes += Array(#","report":"#.utf8) + report + [UInt8(ascii: "}")]
        }
        return .json(bytes)
    }
}
