import HSMSyncCore
import HSMSyncModel
import Hummingbird

enum MetricsRoutes {
    /// The last audit's gauges (as `hsmsync audit --metrics` writes them), then the service's own.
    static func metrics(_: Request, _: ServiceContext, environment: ServiceEnvironment) async throws -> Response {
        var bytes: [UInt8] = []
        let snapshot = environment.coordinator.snapshot
        let fleet = environment.coordinator.fleet
        environment.metrics.snapshot(snapshot)
        if let run = try await environment.store.latestFinished(.audit), let report = run.report,
            let decoded = try? ReportDecoding.audit(report)
        {
            bytes = AuditMetrics.exposition(decoded, drill: BackupDrillState.read(for: fleet))
        }
        bytes += environment.metrics.exposition()
        return .bytes(bytes, contentType: "text/plain; version=0.0.4; charset=utf-8")
    }
}
