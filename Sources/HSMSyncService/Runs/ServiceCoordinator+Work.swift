import Foundation
import HSMSyncCore
import HSMSyncModel
import Logging
import SignedLog

extension ServiceCoordinator {
    /// Who the service's log entries name.
    var serviceActor: AuditActor {
        AuditActor(id: "hsmsync-serve@\(instance)", role: "service", auth: "local")
    }

    /// The fence of this instance's current term; refuses to start work without one.
    func currentFence() throws -> LeaseFence {
        guard let term = leadership.term else { throw RunRefused.notLeader(leader: leadership.leader) }
        let lease = fleet.service?.leaseSeconds ?? ServiceSettings.defaultLeaseSeconds
        return LeaseFence(
            store: store, instance: instance, epoch: term.epoch, margin: lease / 3, metrics: metrics, logger: logger)
    }

    /// A parity audit, as `hsmsync audit` runs it, recorded in the signed log.
    func performAudit(_ run: inout RunRecord) async throws {
        let fence = try currentFence()
        let (audited, scans) = await evaluate()
        // Recorded first, as `hsmsync audit` does: a report the log did not take says so (status
        // error, `record.state: failed`) everywhere it is shown.
        let digest = AuditDigest.sha256(of: try StreamingJSONEncoder(prettyPrinted: false).encode(audited))
        let report = await ParityAudit.record(
            audited, fleet: fleet, connector: connector, reportDigest: digest, actor: serviceActor, fence: fence)
        await observe(report, scans: scans)
        run.report = try StreamingJSONEncoder().encode(report)
        run.status = report.status.rawValue
        run.count = report.findings.count
        if let record = report.record, record.state == .failed {
            metrics.auditNotRecorded()
            throw ServiceRunError.notRecorded(record.error ?? "unknown")
        }
    }

    /// `reconcile --apply`, through the same journaled protocol and fleet lock, recorded in the log.
    func performReconcile(_ run: inout RunRecord) async throws {
        let fence = try currentFence()
        // Hand work on another host (`reconcile --apply` and the like) holds the same lock.
        if let holder = try await store.takeFleetLock() {
            throw RunRefused.fleetLocked("the fleet is locked in the state database by \(holder)")
        }
        let report: ReconcileReport
        do {
            report = try await reconcileUnderLock(fence: fence)
        } catch {
            await store.releaseFleetLock()
            throw error
        }
        await store.releaseFleetLock()
        run.report = try StreamingJSONEncoder().encode(report)
        run.status = report.status.rawValue
        run.count = report.copied.count
        metrics.copied(report.copied.count)
        if let interrupted = report.interrupted {
            run.state = .failed
            run.error =
                "stopped (\(interrupted)) after the copy in flight; \(report.counts["notDone"] ?? 0) copies not started, "
                + "left for the next run"
        } else if !report.failures.isEmpty {
            run.state = .failed
            run.error = "\(report.failures.count) copies or HSMs failed: see the report's failures"
        }
    }

    private func reconcileUnderLock(fence: LeaseFence) async throws -> ReconcileReport {
        let trail = try await AuditTrail.open(
            for: fleet, actor: serviceActor, connector: connector, checkpointPolicy: .bulk())
        let report: ReconcileReport
        do {
            report = try await ReconcileRun(connector: connector).run(
                fleet, apply: true, trail: trail, stop: stopRequest, fence: fence)
        } catch {
            try? await trail.close()
            throw error
        }
        try await trail.close()
        return report
    }

    /// Scans every HSM and compares them, off the actor (the comparison is seconds of CPU on a
    /// large fleet).
    func evaluate() async -> (AuditReport, [HSMScan]) {
        let fleet = fleet
        let connector = connector
        return await Self.evaluate(fleet, connector: connector)
    }

    @concurrent private static func evaluate(_ fleet: Fleet, connector: any HSMConnector) async -> (
        AuditReport, [HSMScan]
    ) {
        let generatedAt = Date()
        let clock = ContinuousClock.now
        let scans = await InventoryScanner(connector: connector).scan(fleet.hsms, of: fleet)
        let report = DriftEngine(fleet: fleet).evaluate(
            scans, generatedAt: generatedAt, durationSeconds: (ContinuousClock.now - clock).seconds)
        return (report, scans)
    }

    @concurrent private static func observation(_ report: AuditReport, scans: [HSMScan], fleet: Fleet) async
        -> FleetObservation
    {
        var inventories: [String: TokenInventory] = [:]
        for scan in scans {
            if let inventory = scan.inventory { inventories[scan.configuration.name] = inventory }
        }
        return FleetObservation(report: report, inventories: inventories, fleet: fleet)
    }

    /// One watch cycle: scan, update the key timeline and status, and in `automatic` mode copy what
    /// `reconcile --apply` would copy (never conflicts, extras, weaker copies or unsyncable keys).
    func watchCycle() async {
        let clock = ContinuousClock.now
        let (report, scans) = await evaluate()
        await observe(report, scans: scans)
        let seconds = (ContinuousClock.now - clock).seconds
        snapshot.lastWatchAt = Date()
        snapshot.lastWatchSeconds = seconds
        metrics.watchCycle(seconds: seconds)
        guard fleet.service?.sync.mode == .automatic else { return }
        let plan = ReconcilePlanner(fleet: fleet).plan(report, scans: scans)
        let pending = (try? ReplicationJournal.pending(in: fleet.stateDirectory)) ?? []
        guard !plan.copies.isEmpty || !pending.isEmpty else { return }
        let run = RunRecord(
            id: RunRecord.newID(kind: .sync, at: Date()), kind: .sync, instance: instance, requestedBy: "watch",
            queuedAt: Date())
        do {
            try await store.insert(run)
        } catch {
            logger.error("cannot record a sync run", metadata: ["error": "\(error)"])
            return
        }
        logger.info(
            "automatic sync",
            metadata: ["run": "\(run.id)", "copies": "\(plan.copies.count)", "pending": "\(pending.count)"])
        await execute(run)
        let (after, rescans) = await evaluate()
        await observe(after, scans: rescans)
    }

    /// Takes in an evaluation: status (alerting on a change), HSM reachability, the key timeline.
    func observe(_ report: AuditReport, scans: [HSMScan]) async {
        let now = Date()
        let unreachableBefore = Set(snapshot.hsms.filter { $0.reachable == false }.map(\.name))
        if let previous = snapshot.update(with: report, at: now), previous != .unknown || report.status != .parity {
            alerts.send(.statusChanged(fleet: fleet.name, from: previous.rawValue, report: report))
        }
        for hsm in report.hsms where !hsm.reachable && !unreachableBefore.contains(hsm.name) {
            alerts.send(.hsmUnreachable(fleet: fleet.name, hsm: hsm.name, reason: hsm.error ?? "unreachable"))
        }
        metrics.snapshot(snapshot)
        let observation = await Self.observation(report, scans: scans, fleet: fleet)
        do {
            let reached = try await store.record(observation, at: now)
            for entry in reached {
                if let lag = entry.syncLagSeconds { metrics.keySynced(lagSeconds: lag) }
            }
            let oldest = try await store.oldestKeyNotEverywhere()
            snapshot.syncLagSeconds = oldest.map { max(0, now.timeIntervalSince($0)) } ?? 0
            metrics.syncLag(seconds: snapshot.syncLagSeconds)
        } catch {
            logger.error("cannot update the key timeline", metadata: ["error": "\(error)"])
        }
    }
}
