import HSMSyncModel
import HTTPTypes

/// Every route the service answers (DESIGN.md "The service"): the router and the OpenAPI
/// document are both built from this list.
public enum APIRoutes {
    static let errors: [Int: String] = [
        401: "No token, or a wrong one", 429: "Too many failed authentications from this address",
    ]

    public static let all: [APIRoute] = [
        APIRoute(
            .get, "/healthz", id: "healthz", access: .open, summary: "200 while the process runs",
            responses: [200: "The process runs"], handler: StatusRoutes.healthz),
        APIRoute(
            .get, "/readyz", id: "readyz", access: .open,
            summary: "200 when the database answers and the fleet file is loaded; 503 with a reason otherwise",
            responses: [200: "Ready", 503: "Not ready, and why"], handler: StatusRoutes.readyz),
        APIRoute(
            .get, "/metrics", id: "metrics", access: .metrics,
            summary: "Prometheus text format: the last audit's gauges and the service's metrics",
            responses: [200: "Metrics"].merging(errors) { first, _ in first },
            mediaType: "text/plain", handler: MetricsRoutes.metrics),
        APIRoute(
            .get, "/", id: "statusPage", access: .open,
            summary: "The status page for people: fleet status, HSMs, findings, last runs, last proven backup",
            responses: [200: "HTML"], mediaType: "text/html", handler: StatusPage.page),
        APIRoute(
            .get, "/openapi.json", id: "openapi", access: .open, summary: "This API's OpenAPI 3.1 document",
            responses: [200: "The document"], handler: OpenAPIDocument.route),
        APIRoute(
            .get, "/v1/status", id: "status", access: .role(.reader),
            summary: "The fleet's status, since when, the leader, the last audit and every HSM",
            responses: [200: "Status"].merging(errors) { first, _ in first }, handler: StatusRoutes.status),
        APIRoute(
            .get, "/v1/audits", id: "listAudits", access: .role(.reader), summary: "Audit runs, newest first",
            query: [
                .integer("limit", "How many (default 20)", range: 1...500),
                .identifier("before", "Only runs older than this run id"),
            ],
            responses: [200: "Audit runs", 400: "A bad parameter"].merging(errors) { first, _ in first },
            handler: RunRoutes.listAudits),
        APIRoute(
            .get, "/v1/audits/{id}", id: "getAudit", access: .role(.reader),
            summary: "One audit: the same document as `hsmsync audit --json`",
            responses: [200: "The audit report", 404: "No such audit, or no report yet"].merging(errors) { first, _ in
                first
            },
            handler: RunRoutes.audit),
        APIRoute(
            .post, "/v1/audits", id: "startAudit", access: .role(.operator), summary: "Run an audit now",
            responses: [
                202: "Queued: follow /v1/runs/{id}", 400: "A body that is not {} or empty", 403: "A reader token",
                409:
                    "An audit is already queued or running, or this instance is a follower (`leader` names the leader)",
                413: "A body over 64 KiB",
            ].merging(errors) { first, _ in first }, handler: RunRoutes.startAudit),
        APIRoute(
            .get, "/v1/findings", id: "listFindings", access: .role(.reader),
            summary: "The newest audit's findings, optionally of one kind or about one HSM",
            query: [
                .oneOf("kind", "A finding kind", Finding.Kind.allCases.map(\.rawValue)),
                .identifier("hsm", "An HSM name"),
            ],
            responses: [200: "Findings", 400: "A bad parameter"].merging(errors) { first, _ in first },
            handler: FleetRoutes.findings),
        APIRoute(
            .get, "/v1/keys", id: "listKeys", access: .role(.reader),
            summary:
                "Every logical key: identity, fingerprint, per HSM present|missing|conflict with firstSeenAt, sync lag",
            responses: [200: "Keys"].merging(errors) { first, _ in first }, handler: FleetRoutes.keys),
        APIRoute(
            .get, "/v1/reconcile/plan", id: "reconcilePlan", access: .role(.reader),
            summary: "The current plan, as `hsmsync reconcile --json` prints it without --apply (a fresh scan)",
            responses: [200: "The plan", 503: "The service is stopping"].merging(errors) { first, _ in first },
            handler: FleetRoutes.plan),
        APIRoute(
            .post, "/v1/reconcile", id: "startReconcile", access: .role(.operator),
            summary: "Apply the plan, as `hsmsync reconcile --apply` does",
            responses: [
                202: "Queued: follow /v1/runs/{id}", 400: "A body that is not {} or empty", 403: "A reader token",
                409:
                    "A reconcile or sync is queued or running, or this instance is a follower (`leader` names the leader)",
                413: "A body over 64 KiB",
            ].merging(errors) { first, _ in first }, handler: RunRoutes.startReconcile),
        APIRoute(
            .get, "/v1/runs/{id}", id: "getRun", access: .role(.reader),
            summary: "Any run (audit, sync, reconcile, drill): state queued|running|succeeded|failed, and its report",
            responses: [200: "The run", 404: "No such run"].merging(errors) { first, _ in first },
            handler: RunRoutes.run),
        APIRoute(
            .get, "/log/checkpoint", id: "logCheckpoint", access: .open,
            summary: "The signed log's latest checkpoint (C2SP tlog-checkpoint, with cosignatures)",
            responses: [200: "The checkpoint note", 404: "No log configured"], mediaType: "text/plain",
            handler: LogRoutes.checkpoint),
        APIRoute(
            .get, "/log/tile/{path}", routerPath: "/log/tile/**", id: "logTile", access: .open,
            summary: "C2SP tlog-tiles: hash tiles <L>/<N>[.p/<W>] and entry bundles entries/<N>[.p/<W>]",
            responses: [200: "The tile", 404: "Not a tile path, or no such tile in the current tree"],
            mediaType: "application/octet-stream", handler: LogRoutes.tile),
    ]
}
