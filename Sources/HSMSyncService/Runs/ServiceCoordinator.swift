public import Foundation
import HSMSyncCore
public import HSMSyncModel
public import Logging
import Synchronization

/// Runs the service's work against the fleet, one job at a time: audits, syncs, reconciles (asked
/// for over HTTP or by the schedule) and watch cycles. One at a time because they share the HSMs'
/// sessions and the fleet lock; a watch cycle asked for while work is queued is skipped, not stacked.
public actor ServiceCoordinator {
    public nonisolated let instance: String
    let store: StateStore
    let connector: any HSMConnector
    let logger: Logger
    let alerts: AlertDispatcher
    let metrics: ServiceMetrics
    /// Whether this instance leads: only the leader queues runs and watches the fleet.
    public nonisolated let leadership: Leadership
    /// What the HTTP handlers read, without waiting for the coordinator: a watch cycle keeps the
    /// actor busy comparing tens of thousands of objects, and `/v1/status` must not wait for it.
    private nonisolated let published: Published
    public nonisolated let startedAt: Date

    /// The fleet the next job uses.
    public nonisolated var fleet: Fleet { published.state.withLock { $0.fleet } }

    /// The newest evaluation. Written only by the coordinator.
    public nonisolated var snapshot: FleetSnapshot {
        get { published.state.withLock { $0.snapshot } }
        set { published.state.withLock { $0.snapshot = newValue } }
    }

    private enum Job {
        case run(RunRecord)
        case watch
        /// `GET /v1/reconcile/plan`: reconcile without `--apply`, its report as JSON.
        case plan(CheckedContinuation<[UInt8], any Error>)
    }

    private var queue: [Job] = []
    private var current: Job?
    private var drainTask: Task<Void, Never>?
    private var stopping = false
    private var submitting: Set<RunKind> = []
    /// Runs that ended while the database was away: recorded at the next job (or election).
    private var unrecorded: [RunRecord] = []
    /// Asked at shutdown: a reconcile or sync in flight finishes its current copy and stops.
    let stopRequest = StopRequest()

    public init(
        fleet: Fleet, instance: String, store: StateStore, connector: any HSMConnector, logger: Logger,
        alerts: AlertDispatcher, metrics: ServiceMetrics, leadership: Leadership
    ) {
        self.leadership = leadership
        self.instance = instance
        self.store = store
        self.connector = connector
        self.logger = logger
        self.alerts = alerts
        self.metrics = metrics
        let now = Date()
        self.startedAt = now
        self.published = Published(fleet: fleet, snapshot: FleetSnapshot(fleet: fleet, now: now))
    }

    /// Loads what the database remembers (the newest audit) and marks runs a stopped process left
    /// behind as failed.
    public func restore() async throws {
        try await store.failAbandonedRuns(instance: instance, at: Date())
        if let last = try await store.latestFinished(.audit), let bytes = last.report,
            let report = try? ReportDecoding.audit(bytes)
        {
            _ = snapshot.update(with: report, at: last.finishedAt ?? last.queuedAt)
            metrics.snapshot(snapshot)
        }
    }

    /// A term began: runs other instances left queued or running are theirs no more (their leader
    /// is gone or deposed, and fenced); they are marked failed, and the journal recovers any copy.
    public func elected(epoch: Int) async {
        await recordUnrecorded()
        do {
            try await store.failRunsOfOtherInstances(than: instance, at: Date(), epoch: epoch)
        } catch {
            logger.error("cannot mark other instances' runs failed", metadata: ["error": "\(error)"])
        }
    }

    /// Records the runs that ended while the database was away, as they ended.
    func recordUnrecorded() async {
        while let run = unrecorded.first {
            guard (try? await store.update(run)) != nil else { return }
            unrecorded.removeFirst()
            logger.info("run recorded", metadata: ["run": "\(run.id)", "state": "\(run.state.rawValue)"])
        }
    }

    /// Queues a run; it starts when the work before it is done.
    ///
    /// - Throws: ``RunRefused`` when a run of the kind is already queued or running (audits,
    ///   reconciles), or the service is stopping.
    public func submit(_ kind: RunKind, requestedBy: String) async throws -> RunRecord {
        guard !stopping else { throw RunRefused.stopping }
        guard leadership.isLeader else { throw RunRefused.notLeader(leader: leadership.leader) }
        for job in queue + (current.map { [$0] } ?? []) {
            if case .run(let queued) = job, queued.kind == kind || (kind == .reconcile && queued.kind == .sync) {
                throw RunRefused.alreadyQueued(id: queued.id)
            }
        }
        // Held across the database insert below: the actor is re-entered there, and a second
        // request for the same kind must not pass the check above meanwhile.
        guard !submitting.contains(kind) else { throw RunRefused.alreadyQueued(id: "(being queued)") }
        submitting.insert(kind)
        defer { submitting.remove(kind) }
        if kind == .reconcile {
            // Hand work (reconcile --apply, backup restore --apply, a ceremony) holds the fleet lock:
            // say so now rather than queue a run that will fail on it.
            do {
                _ = try ReconcileLock(directory: fleet.stateDirectory)
            } catch {
                throw RunRefused.fleetLocked(String(describing: error))
            }
        }
        let run = RunRecord(
            id: RunRecord.newID(kind: kind, at: Date()), kind: kind, instance: instance, requestedBy: requestedBy,
            queuedAt: Date())
        try await store.insert(run)
        logger.info("run queued", metadata: ["run": "\(run.id)", "requestedBy": "\(requestedBy)"])
        enqueue(.run(run))
        return run
    }

    /// Asks for a watch cycle; dropped when other work is queued or running (the next one comes).
    public func requestWatch() {
        guard !stopping, leadership.isLeader, current == nil, queue.isEmpty else { return }
        enqueue(.watch)
    }

    /// The reconcile plan now (a fresh scan, queued behind running work; nothing is changed).
    public func plan() async throws -> [UInt8] {
        guard !stopping else { throw RunRefused.stopping }
        return try await withCheckedThrowingContinuation { continuation in
            enqueue(.plan(continuation))
        }
    }

    /// Uses `fleet` from the next job on (SIGHUP); the job in flight finishes with the old one.
    public func replace(_ fleet: Fleet) {
        published.state.withLock { $0.fleet = fleet }
        logger.info("fleet file reloaded", metadata: ["fleet": "\(fleet.name)", "hsms": "\(fleet.hsms.count)"])
    }

    /// Stops taking work, drops what is queued (recording it failed) and waits for the job in flight.
    public func stop() async {
        stopping = true
        stopRequest.request("shutdown")
        let dropped = queue
        queue.removeAll()
        for job in dropped {
            guard case .run(var run) = job else {
                if case .plan(let continuation) = job { continuation.resume(throwing: RunRefused.stopping) }
                continue
            }
            run.state = .failed
            run.finishedAt = Date()
            run.error = "the service stopped before the run started"
            try? await store.update(run)
        }
        await drainTask?.value
    }

    /// Gives up on the job in flight (shutdown deadline passed): its task is cancelled, and its
    /// run recorded as failed; the journal lets the next run recover a copy it left half done.
    public func abandon() async {
        drainTask?.cancel()
        if case .run(var run) = current {
            run.state = .failed
            run.finishedAt = Date()
            run.error = "abandoned at shutdown; the next run recovers any copy in flight from the journal"
            try? await store.update(run)
        }
    }

    /// Whether a job is running or queued.
    public var isBusy: Bool { current != nil || !queue.isEmpty }

    private func enqueue(_ job: Job) {
        queue.append(job)
        guard drainTask == nil else { return }
        drainTask = Task { await self.drain() }
    }

    private func drain() async {
        while !queue.isEmpty {
            let job = queue.removeFirst()
            current = job
            await recordUnrecorded()
            switch job {
            case .run(let run): await execute(run)
            case .watch: await watchCycle()
            case .plan(let continuation):
                do {
                    let report = try await ReconcileRun(connector: connector).run(fleet, apply: false)
                    continuation.resume(returning: try StreamingJSONEncoder().encode(report))
                } catch {
                    continuation.resume(throwing: error)
                }
            }
            current = nil
        }
        drainTask = nil
    }

    /// Runs one queued run and records how it went.
    func execute(_ queued: RunRecord) async {
        var run = queued
        run.state = .running
        run.startedAt = Date()
        try? await store.update(run)
        logger.info("run started", metadata: ["run": "\(run.id)"])
        let clock = ContinuousClock.now
        do {
            switch run.kind {
            case .audit: try await performAudit(&run)
            case .reconcile, .sync: try await performReconcile(&run)
            case .drill: throw ServiceRunError.notAvailable("restore drills are run with `hsmsync backup drill`")
            }
            if run.state == .running { run.state = .succeeded }
        } catch {
            run.state = .failed
            run.error = String(describing: error)
            logger.error("run failed", metadata: ["run": "\(run.id)", "error": "\(run.error ?? "")"])
            if run.kind == .audit {
                alerts.send(.auditFailed(fleet: fleet.name, run: run.id, reason: run.error ?? ""))
            }
        }
        run.finishedAt = Date()
        metrics.runFinished(run, seconds: (ContinuousClock.now - clock).seconds)
        do {
            try await store.update(run)
        } catch {
            logger.error(
                "cannot record the run; it is recorded once the database answers",
                metadata: ["run": "\(run.id)", "error": "\(error)"])
            unrecorded.append(run)
        }
        logger.info(
            "run finished",
            metadata: ["run": "\(run.id)", "state": "\(run.state.rawValue)", "status": "\(run.status ?? "-")"])
    }
}

/// A run the service cannot carry out.
enum ServiceRunError: Error, CustomStringConvertible {
    case notAvailable(String)
    case notRecorded(String)

    var description: String {
        switch self {
        case .notAvailable(let reason): reason
        case .notRecorded(let reason): "the run could not be recorded in the signed log: \(reason)"
        }
    }
}

extension Duration {
    var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}

/// The coordinator's state that readers take without an actor hop.
private final class Published: Sendable {
    let state: Mutex<(fleet: Fleet, snapshot: FleetSnapshot)>

    init(fleet: Fleet, snapshot: FleetSnapshot) {
        state = Mutex((fleet, snapshot))
    }
}
