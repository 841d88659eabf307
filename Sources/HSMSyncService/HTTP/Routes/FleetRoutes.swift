import Foundation
import HSMSyncModel
import Hummingbird

struct FindingList: Codable, Sendable {
    /// The audit the findings come from.
    let audit: String?
    let generatedAt: Date?
    let findings: [Finding]
}

struct KeyList: Codable, Sendable {
    let keys: [KeyTimelineEntry]
}

enum FleetRoutes {
    static func findings(_ request: Request, _: ServiceContext, environment: ServiceEnvironment) async throws
        -> Response
    {
        let kindText = request.uri.queryParameters["kind"].map(String.init)
        let kind = try kindText.map { text in
            guard let kind = Finding.Kind(rawValue: text) else {
                throw APIError(
                    .badRequest, code: "bad-parameter",
                    "kind must be one of: " + Finding.Kind.allCases.map(\.rawValue).joined(separator: ", "))
            }
            return kind
        }
        let hsm = try QueryCheck.identifier(request, "hsm")
        guard let run = try await environment.store.latestFinished(.audit), let bytes = run.report else {
            return try .json(FindingList(audit: nil, generatedAt: nil, findings: []))
        }
        let report = try ReportDecoding.audit(bytes)
        let findings = report.findings.filter { finding in
            (kind == nil || finding.kind == kind) && (hsm == nil || finding.hsm == hsm || finding.reference == hsm)
        }
        return try .json(FindingList(audit: run.id, generatedAt: report.generatedAt, findings: findings))
    }

    static func keys(_: Request, _: ServiceContext, environment: ServiceEnvironment) async throws -> Response {
        try .json(KeyList(keys: try await environment.store.keyTimeline()))
    }

    static func plan(_: Request, _: ServiceContext, environment: ServiceEnvironment) async throws -> Response {
        do {
            return .json(try await environment.coordinator.plan())
        } catch let refused as RunRefused {
            throw APIError(.serviceUnavailable, code: "stopping", refused.description)
        } catch {
            throw APIError(.internalServerError, code: "plan-failed", String(describing: error))
        }
    }
}
