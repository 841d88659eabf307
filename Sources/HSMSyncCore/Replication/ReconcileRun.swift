import Foundation
public import HSMSyncModel
import SignedLog

/// `hsmsync reconcile`: audit the fleet, plan from the findings, and with `apply` copy every
/// planned key × destination through the replication protocol (``KeyReplicator``), journaled
/// (``ReplicationJournal``), locked (``ReconcileLock``), every step an audit log entry.
///
/// Idempotent: the plan is recomputed from a fresh scan each run, so a key already copied is no
/// longer `missing`. Safe to interrupt: staging objects are session objects that vanish with the
/// process; a promotion in flight is found again by recovery (identity + fingerprint) on the next run.
public struct ReconcileRun: Sendable {
    public let connector: any HSMConnector
    public let options: ConnectOptions
    /// Copies announced per journal `fsync` (and audit log append).
    public let batchSize: Int

    public init(
        connector: any HSMConnector, options: ConnectOptions = ConnectOptions(), batchSize: Int = 64
    ) {
        self.connector = connector
        self.options = options
        self.batchSize = max(1, batchSize)
    }

    /// Plans (and with `apply`, carries out) the reconciliation of `fleet`.
    ///
    /// With `apply`, the audit trail is open before any HSM is touched — recovery of an interrupted
    /// run may destroy torn objects, and nothing is destroyed unrecorded. `trail` is the caller's
    /// open trail (a ceremony's), recorded into and left open; without it the fleet's log is opened
    /// with the bulk checkpoint policy and closed at the end.
    ///
    /// - Throws: ``ReconcileError`` (lock held, state directory unusable) and audit trail errors
    ///   before anything is changed; per-key and per-HSM failures are in the report instead.
    /// - Parameters:
    ///   - events: each HSM's scan, the copies planned, and every copy as it ends.
    ///   - stop: asked between copies; once requested, the copy in flight ends as usual, no other
    ///     starts (announced ones are closed `not-started`), and the report says `interrupted`.
    ///   - fence: passed before recovery, before each batch and before each copy (and by the
    ///     trail before each append): when it refuses, the run ends there with ``FenceError``,
    ///     leaving what it announced to the journal.
    public func run(
        _ fleet: Fleet, apply: Bool, trail injected: AuditTrail? = nil, events: EngineEvents = .ignored,
        stop: StopRequest? = nil, fence: (any WriteFence)? = nil
    ) async throws -> ReconcileReport {
        let started = ContinuousClock.now
        let generatedAt = Date()
        guard apply else {
            return try await reconcile(
                fleet, journal: nil, pending: [], trail: nil, generatedAt: generatedAt, started: started,
                events: events, stop: nil)
        }
        let lock = try ReconcileLock(directory: fleet.stateDirectory)
        defer { withExtendedLifetime(lock) {} }
        let journal = try ReplicationJournal(directory: fleet.stateDirectory)
        let pending = try ReplicationJournal.pending(in: fleet.stateDirectory)
        let trail: AuditTrail
        if let injected {
            trail = injected
        } else {
            trail = try await AuditTrail.open(for: fleet, connector: connector, checkpointPolicy: .bulk())
        }
        if let fence { await trail.fence(with: fence) }
        let report: ReconcileReport
        do {
            report = try await reconcile(
                fleet, journal: journal, pending: pending, trail: trail, generatedAt: generatedAt, started: started,
                events: events, stop: stop, fence: fence)
        } catch {
            if injected == nil { try? await trail.close() }
            throw error
        }
        if injected == nil { try await trail.close() }
        if try ReplicationJournal.pending(in: fleet.stateDirectory).isEmpty {
            try journal.truncate()
        }
        return report
    }

    /// Scans, recovers what an interrupted run left pending, plans, and (given a journal and a
    /// trail) copies.
    private func reconcile(
        _ fleet: Fleet, journal: ReplicationJournal?, pending: [ReplicationJournal.Operation], trail: AuditTrail?,
        generatedAt: Date, started: ContinuousClock.Instant, events: EngineEvents, stop: StopRequest?,
        fence: (any WriteFence)? = nil
    ) async throws -> ReconcileReport {
        let apply = journal != nil
        // A token another hsmsync process is changing (another fleet file naming it, a restore) is
        // not planned against at all: the whole run is refused, nothing touched.
        let connections = try await connectLockingAll(fleet, readWrite: apply)
        let workers = Dictionary(
            uniqueKeysWithValues: connections.compactMap(\.endpoint).map { ($0.name, $0) })
        var scans = await InventoryScanner.scan(connections, fleet: fleet, events: events)
        do {
            var recovered: [ReconcileReport.Recovered] = []
            if let journal, let trail {
                try await fence?.check()
                let (decisions, removedFrom) = try await recover(
                    pending, fleet: fleet, scans: scans, workers: workers, journal: journal, trail: trail)
                recovered = decisions
                if !removedFrom.isEmpty {
                    // Only the HSMs recovery changed are scanned again.
                    let changed = connections.filter { removedFrom.contains($0.configuration.name) }
                    let rescanned = await InventoryScanner.scan(changed, fleet: fleet, events: events)
                    scans = scans.map { scan in
                        rescanned.first { $0.configuration.name == scan.configuration.name } ?? scan
                    }
                }
            }
            let audit = DriftEngine(fleet: fleet).evaluate(scans, generatedAt: generatedAt)
            let plan = ReconcilePlanner(fleet: fleet).plan(audit, scans: scans)
            let copies = apply ? plan.copies : []
            events.emit(
                .copiesPlanned(
                    copies: copies.count,
                    destinations: Dictionary(copies.map { ($0.destination, 1) }, uniquingKeysWith: +)))
            var execution = Execution()
            if let journal, let trail {
                let copier = Copier(
                    fleet: fleet, workers: workers, journal: journal, trail: trail, batchSize: batchSize,
                    events: events, stop: stop, fence: fence)
                execution = try await copier.execute(plan, scans: scans)
            }
            await Self.close(connections)
            return report(
                fleet: fleet, apply: apply, audit: audit, plan: plan, scans: scans, execution: execution,
                recovered: recovered, generatedAt: generatedAt, started: started)
        } catch {
            await Self.close(connections)
            throw error
        }
    }

    static func close(_ connections: [HSMConnection]) async {
        for connection in connections {
            await connection.endpoint?.close()
        }
    }

    /// Starts the run in the background: its events as an `AsyncSequence`, and its report.
    public func start(_ fleet: Fleet, apply: Bool) -> EngineRun<ReconcileReport, any Error> {
        EngineRun.start { events in try await run(fleet, apply: apply, events: events) }
    }
}
