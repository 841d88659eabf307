import Foundation
import HSMSyncCore
import HSMSyncModel
import Prometheus

/// The service's own metrics (runs, durations, sync lag, watch cycles, HSM reachability), kept for
/// the life of the process; `/metrics` serves them after the last audit's gauges.
public final class ServiceMetrics: Sendable {
    private let registry = PrometheusCollectorRegistry()
    private let fleet: String
    private let runDurations: [RunKind: DurationHistogram]
    private let watchDuration: DurationHistogram
    private let watchLast: Gauge
    private let syncLag: Gauge
    private let keyLag: ValueHistogram
    private let copies: Counter
    private let lastSuccessfulAudit: Gauge
    private let auditUnrecorded: Counter
    private let leaderGauge: Gauge
    private let fenced: Counter

    public init(fleet: String, instance: String) {
        self.fleet = fleet
        let labels = [("fleet", fleet)]
        registry.makeGauge(
            descriptor: Self.name("service", "info", help: "1, labelled with the instance and the hsmsync version."),
            labels: labels + [("instance", instance), ("version", HSMSyncVersion.current)]
        ).set(to: 1)
        fenced = registry.makeCounter(
            descriptor: Self.name(
                "service", "fenced_writes", unit: "total",
                help: "Writes to an HSM or the log refused because this instance's leader term had ended."),
            labels: labels)
        leaderGauge = registry.makeGauge(
            descriptor: Self.name(
                "service", "leader", help: "1 while this instance runs scheduled and automatic work."),
            labels: labels + [("instance", instance)])
        let runBuckets: [Duration] = [
            .milliseconds(100), .milliseconds(500), .seconds(1), .seconds(5), .seconds(30), .seconds(120),
            .seconds(600),
        ]
        var durations: [RunKind: DurationHistogram] = [:]
        for kind in RunKind.allCases {
            durations[kind] = registry.makeDurationHistogram(
                descriptor: Self.name("service", "run_duration", unit: "seconds", help: "How long runs took, by kind."),
                labels: labels + [("kind", kind.rawValue)], buckets: runBuckets)
        }
        runDurations = durations
        watchDuration = registry.makeDurationHistogram(
            descriptor: Self.name("watch", "cycle_duration", unit: "seconds", help: "How long watch cycles took."),
            labels: labels,
            buckets: [
                .milliseconds(10), .milliseconds(50), .milliseconds(100), .milliseconds(500), .seconds(1), .seconds(5),
                .seconds(30),
            ])
        watchLast = registry.makeGauge(
            descriptor: Self.name(
                "watch", "last_cycle_timestamp", unit: "seconds", help: "When the last watch cycle ended (Unix time)."),
            labels: labels)
        syncLag = registry.makeGauge(
            descriptor: Self.name(
                "sync", "lag", unit: "seconds",
                help: "Seconds since the oldest key not yet on every HSM was first seen; 0 when all are everywhere."),
            labels: labels)
        keyLag = registry.makeValueHistogram(
            descriptor: Self.name(
                "sync", "key_lag", unit: "seconds",
                help: "For each key that reached every HSM: seconds from first seen on one to present on all."),
            labels: labels, buckets: [1, 5, 15, 60, 300, 900, 3600, 86400])
        copies = registry.makeCounter(
            descriptor: Self.name(
                "sync", "copies", unit: "total", help: "Keys copied by automatic sync and reconcile runs."),
            labels: labels)
        lastSuccessfulAudit = registry.makeGauge(
            descriptor: Self.name(
                "service", "last_successful_audit_timestamp", unit: "seconds",
                help: "When the last audit that ran to the end and was recorded finished (Unix time)."),
            labels: labels)
        auditUnrecorded = registry.makeCounter(
            descriptor: Self.name(
                "service", "audits_unrecorded", unit: "total",
                help: "Audits whose entry could not be written to the signed log."),
            labels: labels)
        for kind in RunKind.allCases {
            for state in [RunState.succeeded, .failed] {
                _ = runCounter(kind, state)
            }
        }
    }

    private func runCounter(_ kind: RunKind, _ state: RunState) -> Counter {
        registry.makeCounter(
            descriptor: Self.name("service", "runs", unit: "total", help: "Runs that ended, by kind and outcome."),
            labels: [("fleet", fleet), ("kind", kind.rawValue), ("outcome", state.rawValue)])
    }

    private static func name(_ subsystem: String, _ metric: String, unit: String = "", help: String)
        -> MetricNameDescriptor
    {
        MetricNameDescriptor(
            namespace: "hsmsync", subsystem: subsystem, metricName: metric, unitName: unit, helpText: help)
    }

    func runFinished(_ run: RunRecord, seconds: Double) {
        runCounter(run.kind, run.state == .succeeded ? .succeeded : .failed).increment()
        runDurations[run.kind]?.recordNanoseconds(Int64(seconds * 1e9))
        if run.kind == .audit, run.state == .succeeded {
            lastSuccessfulAudit.set(to: (run.finishedAt ?? Date()).timeIntervalSince1970)
        }
    }

    func auditNotRecorded() { auditUnrecorded.increment() }

    func copied(_ count: Int) { copies.increment(by: Int64(count)) }

    func watchCycle(seconds: Double) {
        watchDuration.recordNanoseconds(Int64(seconds * 1e9))
        watchLast.set(to: Date().timeIntervalSince1970)
    }

    func keySynced(lagSeconds: Double) { keyLag.record(lagSeconds) }

    func syncLag(seconds: Double) { syncLag.set(to: seconds) }

    /// The fleet's current status and each HSM as the newest scan saw it.
    func snapshot(_ snapshot: FleetSnapshot) {
        for status in [FleetSnapshot.Status.parity, .drift, .error, .unknown] {
            registry.makeGauge(
                descriptor: Self.name(
                    "service", "fleet_status", help: "1 for the fleet's current status (as /v1/status says), else 0."),
                labels: [("fleet", fleet), ("status", status.rawValue)]
            ).set(to: snapshot.status == status ? 1 : 0)
        }
        registry.makeGauge(
            descriptor: Self.name(
                "service", "fleet_status_since", unit: "seconds", help: "Since when the status holds (Unix time)."),
            labels: [("fleet", fleet)]
        ).set(to: snapshot.since.timeIntervalSince1970)
        for hsm in snapshot.hsms {
            let labels = [("fleet", fleet), ("hsm", hsm.name), ("role", hsm.role.rawValue), ("site", hsm.site)]
            registry.makeGauge(
                descriptor: Self.name("service", "hsm_reachable", help: "1 when the newest scan reached the HSM."),
                labels: labels
            ).set(to: hsm.reachable == true ? 1 : 0)
            registry.makeGauge(
                descriptor: Self.name("service", "hsm_objects", help: "Objects the newest scan found on the HSM."),
                labels: labels
            ).set(to: Double(hsm.objects ?? 0))
        }
    }

    /// The text exposition.
    public func exposition() -> [UInt8] {
        registry.emitToBuffer()
    }
}

extension ServiceMetrics {
    /// Whether this instance leads (`hsmsync_service_leader`).
    func leader(_ isLeader: Bool) {
        leaderGauge.set(to: isLeader ? 1 : 0)
    }

    /// A write refused by the epoch check (`hsmsync_service_fenced_writes_total`).
    func fencedWrite() {
        fenced.increment()
    }
}
