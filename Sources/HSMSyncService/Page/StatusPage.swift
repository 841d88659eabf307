import Foundation
import HSMSyncCore
import HSMSyncModel
import Hummingbird
import Mustache

/// `GET /`: the status page for people, rendered on the server.
enum StatusPage {
    private static let template = try! MustacheTemplate(string: StatusPageTemplate.source)
    /// Findings listed per kind before "and N more".
    static let findingsPerKind = 20

    static func page(_: Request, _: ServiceContext, environment: ServiceEnvironment) async throws -> Response {
        let status = try await StatusRoutes.document(environment)
        let fleet = environment.coordinator.fleet
        let runs = try await environment.store.runs(kind: nil, limit: 10)
        let report = environment.coordinator.snapshot.report
        let html = template.render(
            context(status: status, report: report, runs: runs, drill: BackupDrillState.read(for: fleet), now: Date()))
        return Response(
            status: .ok, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    static func context(
        status: StatusDocument, report: AuditReport?, runs: [RunRecord], drill: BackupDrillState?, now: Date
    ) -> [String: Any] {
        func time(_ date: Date?) -> String { date.map { RFC3339.seconds.string(from: $0) } ?? "—" }
        let words: [FleetSnapshot.Status: String] = [
            .parity: "PARITY", .drift: "DRIFT", .error: "ERROR", .unknown: "NOT YET SCANNED",
        ]
        let findings = report?.findings ?? []
        let groups: [[String: Any]] = Finding.Kind.allCases.compactMap { kind in
            let ofKind = findings.filter { $0.kind == kind }
            guard !ofKind.isEmpty else { return nil }
            return [
                "kind": kind.rawValue, "count": ofKind.count, "nextStep": kind.nextStep,
                "findings": ofKind.prefix(findingsPerKind).map { finding in
                    ["hsm": finding.hsm, "key": finding.key?.displayName ?? "", "detail": finding.detail]
                },
                "more": ofKind.count > findingsPerKind ? ofKind.count - findingsPerKind : false,
            ]
        }
        var context: [String: Any] = [
            "fleet": status.fleet, "status": status.status.rawValue, "statusWord": words[status.status] ?? "",
            "since": time(status.since), "instance": status.instance, "syncMode": status.syncMode,
            "hsms": status.hsms.map { hsm -> [String: Any] in
                [
                    "name": hsm.name, "role": hsm.role.rawValue, "site": hsm.site.isEmpty ? "—" : hsm.site,
                    "reachable": hsm.reachable.map { $0 ? "yes" : "NO" } ?? "not yet scanned",
                    "reachableClass": hsm.reachable == false ? "bad" : "",
                    "objects": hsm.objects.map(String.init) ?? "—", "lastScan": time(hsm.lastScanAt),
                ]
            },
            "groups": groups,
            "runs": runs.map { run -> [String: Any] in
                [
                    "id": run.id, "kind": run.kind.rawValue, "state": run.state.rawValue, "status": run.status ?? "—",
                    "queued": time(run.queuedAt), "by": run.requestedBy,
                ]
            },
            "hasRuns": !runs.isEmpty, "generated": time(now),
        ]
        if let lastWatch = status.lastWatchAt { context["lastWatch"] = time(lastWatch) }
        if let drill {
            context["drill"] = [
                "source": drill.source, "created": drill.bundleCreatedAt, "proven": drill.proven,
                "verified": time(Date(timeIntervalSince1970: Double(drill.verifiedAt))),
            ]
        }
        return context
    }
}
