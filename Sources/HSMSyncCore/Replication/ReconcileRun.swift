import Foundation
import PKCS11

/// `hsmsync reconcile`: audit the fleet, plan from the findings, and with `apply` copy every
/// planned key × destination through the replication protocol (``KeyReplicator``), journaled
/// (``ReplicationJournal``), locked (``ReconcileLock``), every step an audit log entry.
///
/// Idempotent: the plan is recomputed from a fresh scan each run, so a key already copied is no
/// longer `missing`. Safe to interrupt: staging objects are session objects that vanish with the
/// process; a promotion in flight is found again by recovery (identity + fingerprint) on the next run.
public struct ReconcileRun: Sendable {
    public let connector: FleetConnector
    public let options: HSMWorker.LoginOptions
    /// Copies announced per journal `fsync` (and audit log append).
    public let batchSize: Int

    public init(
        connector: FleetConnector, options: HSMWorker.LoginOptions = HSMWorker.LoginOptions(), batchSize: Int = 64
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
    public func run(
        _ fleet: Fleet, apply: Bool, trail injected: AuditTrail? = nil,
        progress: (@Sendable (Int, Int) -> Void)? = nil
    ) async throws -> ReconcileReport {
        let started = ContinuousClock.now
        let generatedAt = Date()
        guard apply else {
            return try await reconcile(
                fleet, journal: nil, pending: [], trail: nil, generatedAt: generatedAt, started: started,
                progress: progress)
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
        let report: ReconcileReport
        do {
            report = try await reconcile(
                fleet, journal: journal, pending: pending, trail: trail, generatedAt: generatedAt, started: started,
                progress: progress)
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
        generatedAt: Date, started: ContinuousClock.Instant, progress: (@Sendable (Int, Int) -> Void)?
    ) async throws -> ReconcileReport {
        let apply = journal != nil
        let connections = await connector.connect(fleet.hsms, readWrite: apply, options: options)
        let workers = Dictionary(uniqueKeysWithValues: connections.compactMap { $0.worker }.map { ($0.name, $0) })
        var scans = await InventoryScanner.scan(connections, fleet: fleet)
        do {
            var recovered: [ReconcileReport.Recovered] = []
            if let journal, let trail {
                let (decisions, removedFrom) = try await recover(
                    pending, scans: scans, workers: workers, journal: journal, trail: trail)
                recovered = decisions
                if !removedFrom.isEmpty {
                    // Only the HSMs recovery changed are scanned again.
                    let changed = connections.filter { removedFrom.contains($0.configuration.name) }
                    let rescanned = await InventoryScanner.scan(changed, fleet: fleet)
                    scans = scans.map { scan in
                        rescanned.first { $0.configuration.name == scan.configuration.name } ?? scan
                    }
                }
            }
            let audit = DriftEngine(fleet: fleet).evaluate(scans, generatedAt: generatedAt)
            let plan = ReconcilePlanner(fleet: fleet).plan(audit, scans: scans)
            var execution = Execution()
            if let journal, let trail {
                try await execute(
                    plan, fleet: fleet, scans: scans, workers: workers, journal: journal, trail: trail,
                    into: &execution, progress: progress)
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

    /// What the copies did.
    struct Execution {
        var copied: [ReconcileReport.Copied] = []
        var failures: [ReconcileReport.Failure] = []
        /// (destination, identity) of every object promoted.
        var promoted: Set<String> = []
    }

    private func execute(
        _ plan: ReconcilePlan, fleet: Fleet, scans: [HSMScan], workers: [String: HSMWorker],
        journal: ReplicationJournal, trail: AuditTrail, into execution: inout Execution,
        progress: (@Sendable (Int, Int) -> Void)?
    ) async throws {
        let actor = trail.actor
        func entry(_ action: String, _ outputs: [String: JSONValue], result: AuditResult = .ok) -> AuditEntryDraft {
            AuditEntryDraft(action: AuditAction(action), actor: actor, outputs: outputs, result: result)
        }
        // Why transport keys were refused (an attribute too many, another check value): what an
        // auditor needs to see in the signed log, once per distinct reason, not once per key.
        var transportRefusals: [String] = []
        for skip in plan.skipped where skip.reason == "transport" && !transportRefusals.contains(skip.detail) {
            transportRefusals.append(skip.detail)
        }
        try await trail.record(
            entry(
                "replicate.plan",
                [
                    "fleet": .string(fleet.name), "copies": .integer(Int64(plan.copies.count)),
                    "skipped": .integer(Int64(plan.skipped.count)), "conflicts": .integer(Int64(plan.conflicts.count)),
                    "transportRefused": .array(transportRefusals.map(JSONValue.string)),
                ]))

        let replicator = KeyReplicator(policy: fleet.policy)
        var done = 0
        var anonymous: [String: Int] = [:]
        for scan in scans {
            anonymous[scan.configuration.name] = scan.inventory?.objects.filter(\.isAnonymous).count
        }
        var start = 0
        while start < plan.copies.count {
            let batch = Array(plan.copies[start..<min(start + batchSize, plan.copies.count)])
            start += batch.count
            let batchID = UUID().uuidString
            let operations = batch.map { copy in
                ReplicationJournal.Operation(
                    op: UUID().uuidString, key: copy.identity, publicKey: copy.publicKeyPresent ? nil : copy.publicKey,
                    source: copy.source, destination: copy.destination, fingerprint: copy.fingerprint,
                    anonymousObjectsBefore: anonymous[copy.destination] ?? 0)
            }
            try journal.intend(operations, batch: batchID)
            // The intents reach the signed log before the first wrap: a run killed mid-batch leaves
            // in the log what it set out to do, and recovery's `replicate.recover` says how it ended.
            try await trail.record(
                contentsOf: operations.map { operation in
                    entry(
                        "replicate.intent",
                        [
                            "op": .string(operation.op), "key": .string(operation.key.description),
                            "source": .string(operation.source), "destination": .string(operation.destination),
                            "fingerprint": .string(operation.fingerprint.digest ?? "unavailable"),
                        ])
                })
            var drafts: [AuditEntryDraft] = []
            var outcomes: [String: String] = [:]
            for (copy, operation) in zip(batch, operations) {
                let base: [String: JSONValue] = [
                    "op": .string(operation.op), "key": .string(copy.identity.description),
                    "source": .string(copy.source), "destination": .string(copy.destination),
                ]
                do {
                    guard let source = workers[copy.source], let destination = workers[copy.destination] else {
                        throw ReplicationError.hsmFailure(
                            hsm: workers[copy.source] == nil ? copy.source : copy.destination, operation: "connecting",
                            error: "not connected", outcomeUnknown: false)
                    }
                    let installed: InstalledKey
                    if copy.isPublicKeyOnly {
                        installed = try await replicator.copyPublicKey(
                            copy.identity, fingerprint: copy.fingerprint, from: source, to: destination)
                    } else {
                        let envelope = try await replicator.seal(
                            copy.identity, publicKey: copy.publicKey, fingerprint: copy.fingerprint, on: source,
                            transportCheckValue: copy.transportCheckValue, opID: operation.op)
                        var wrapped = base
                        wrapped["envelope"] = .string("sha256:\(envelope.digest)")
                        wrapped["mechanism"] = .string(envelope.mechanism)
                        drafts.append(entry("replicate.wrap", wrapped))
                        installed = try await replicator.install(
                            envelope, on: destination, presentPublicKey: copy.publicKeyPresent)
                        drafts.append(entry("replicate.stage", base))
                    }
                    var verified = base
                    verified["proofs"] = .array(installed.proofs.map { .string($0) })
                    drafts.append(entry("replicate.verify", verified))
                    var promoted = base
                    promoted["promoted"] = .array(installed.promoted.map { .string($0.description) })
                    drafts.append(entry("replicate.promote", promoted))
                    drafts.append(entry("replicate.commit", base))
                    outcomes[operation.op] = "committed"
                    for identity in installed.promoted {
                        execution.promoted.insert("\(copy.destination)\u{0}\(identity.description)")
                    }
                    execution.copied.append(
                        .init(
                            key: copy.key, source: copy.source, destination: copy.destination, op: operation.op,
                            promoted: installed.promoted.map(\.description), proofs: installed.proofs))
                } catch let error as ReplicationError {
                    let unknown: Bool
                    if case .hsmFailure(_, _, _, let outcomeUnknown) = error {
                        unknown = outcomeUnknown
                    } else {
                        unknown = false
                    }
                    outcomes[operation.op] = unknown ? "unknown" : "failed"
                    let hsm = Self.hsm(of: error) ?? copy.destination
                    execution.failures.append(
                        .init(
                            hsm: hsm, key: copy.key, reason: error.reason, detail: error.description,
                            securityEvent: error.isSecurityEvent))
                    var failed = base
                    failed["reason"] = .string(error.reason)
                    failed["error"] = .string(error.description)
                    drafts.append(entry("replicate.failed", failed, result: unknown ? .unknown : .failed))
                    if error.isSecurityEvent {
                        drafts.append(entry("security.event", failed, result: .failed))
                    }
                }
                done += 1
                progress?(done, plan.copies.count)
            }
            // Logged before the journal lets go of the batch: a kill in between leaves the batch
            // pending, and the next run's recovery logs its outcome again rather than never.
            try await trail.record(contentsOf: drafts)
            try journal.finish(batch: batchID, outcomes: outcomes)
        }
    }

    private static func hsm(of error: ReplicationError) -> String? {
        switch error {
        case .transportKeyRefused(let hsm, _), .unwrapIntegrityFailure(let hsm, _), .verificationFailed(let hsm, _),
            .conflict(let hsm, _), .hsmFailure(let hsm, _, _, _):
            return hsm
        default:
            return nil
        }
    }

    /// Decides each pending copy of an interrupted run from what its destination holds now:
    /// absent → rolled back (planned again); present, same material and the source's attributes →
    /// committed; present but torn by the kill — unreadable, or the right material with attributes
    /// a finished promotion never has (SoftHSM2 writes a copied object's file before applying
    /// `CKA_TOKEN=true`) — → provably ours: destroyed and rolled back; anything else → conflict, left alone.
    ///
    /// Every decision is recorded in the trail and the journal, and every destruction in the trail
    /// before it happens. An undecided copy (its destination unreachable now) stays pending for a
    /// later run.
    ///
    /// - Returns: the decisions, and the HSMs on which objects were destroyed (their scans are stale).
    private func recover(
        _ pending: [ReplicationJournal.Operation], scans: [HSMScan], workers: [String: HSMWorker],
        journal: ReplicationJournal, trail: AuditTrail
    ) async throws -> ([ReconcileReport.Recovered], Set<String>) {
        guard !pending.isEmpty else { return ([], []) }
        var inventories: [String: TokenInventory] = [:]
        for scan in scans {
            if let inventory = scan.inventory { inventories[scan.configuration.name] = inventory }
        }
        var recovered: [ReconcileReport.Recovered] = []
        var outcomes: [String: String] = [:]
        var removedFrom: Set<String> = []
        var drafts: [AuditEntryDraft] = []
        func record(_ outputs: [String: JSONValue]) {
            drafts.append(
                AuditEntryDraft(action: AuditAction("replicate.recover"), actor: trail.actor, outputs: outputs))
        }
        for operation in pending {
            guard let inventory = inventories[operation.destination], let worker = workers[operation.destination]
            else { continue }
            let reference = inventories[operation.source]?.objects.first { $0.identity == operation.key }
            var outcome = "rolled-back"
            for identity in [operation.key] + (operation.publicKey.map { [$0] } ?? []) {
                // A torn object may have lost its class or id, never its label; one whose class is
                // readable and different is somebody else's.
                let present = inventory.objects.filter {
                    $0.identity == identity
                        || ($0.isOdd && $0.label == identity.label && ($0.id.map { $0 == identity.id } ?? true)
                            && ($0.objectClass == identity.objectClass || $0.objectClass == "unknown"))
                }
                guard !present.isEmpty else { continue }
                let sourceRecord =
                    identity == operation.key
                    ? reference : inventories[operation.source]?.objects.first { $0.identity == identity }
                for record in present {
                    let sameMaterial =
                        operation.fingerprint.digest == nil || record.fingerprint == operation.fingerprint
                        || identity != operation.key
                    let torn =
                        record.isOdd
                        || (sameMaterial && record.attributes.token != true)
                        || (sameMaterial
                            && sourceRecord.map {
                                !AttributeComparison.differences(
                                    reference: $0, referenceName: "source", other: record, otherName: "copy"
                                ).isEmpty
                            } ?? false)
                    if torn {
                        // Durable in the log before the object is gone: a kill right after the
                        // destroy must not leave it unrecorded.
                        try await trail.record(
                            AuditEntryDraft(
                                action: AuditAction("replicate.recover"), actor: trail.actor,
                                outputs: [
                                    "op": .string(operation.op), "destination": .string(operation.destination),
                                    "destroying": .string(record.identity.description),
                                    "reason": .string(record.isOdd ? Self.tornUnreadable : Self.tornAttributes),
                                ]))
                        do {
                            try await worker.withObjects([record.identity]) { session, handles, _ in
                                try session.destroyObject(handles[0])
                            }
                            removedFrom.insert(operation.destination)
                        } catch {
                            outcome = "conflict"
                        }
                    } else if sameMaterial && identity == operation.key {
                        outcome = "committed"
                    } else if !sameMaterial {
                        outcome = "conflict"
                    }
                }
            }
            outcomes[operation.op] = outcome
            recovered.append(
                .init(
                    op: operation.op, key: operation.key.description, destination: operation.destination,
                    outcome: outcome))
            record([
                "op": .string(operation.op), "key": .string(operation.key.description),
                "destination": .string(operation.destination), "outcome": .string(outcome),
            ])
        }
        // Objects with no identity at all, on a destination that had none when the interrupted copies
        // were planned, were made by those copies' promotions (the lock keeps other reconciles out).
        for (destination, operations) in Dictionary(grouping: pending, by: \.destination) {
            guard let inventory = inventories[destination], let worker = workers[destination],
                operations.allSatisfy({ $0.anonymousObjectsBefore == 0 })
            else { continue }
            let anonymous = Set(inventory.objects.filter(\.isAnonymous).map(\.identity))
            guard !anonymous.isEmpty else { continue }
            try await trail.record(
                AuditEntryDraft(
                    action: AuditAction("replicate.recover"), actor: trail.actor,
                    outputs: [
                        "destination": .string(destination),
                        "destroyingAnonymousObjects": .integer(Int64(inventory.objects.filter(\.isAnonymous).count)),
                    ]))
            var destroyed = 0
            for identity in anonymous {
                destroyed +=
                    (try? await worker.withEveryObject(identity) { session, handles in
                        var count = 0
                        for handle in handles where (try? session.keyRecord(of: handle)).map(\.isAnonymous) ?? true {
                            if (try? session.destroyObject(handle)) != nil { count += 1 }
                        }
                        return count
                    }) ?? 0
            }
            if destroyed > 0 {
                removedFrom.insert(destination)
                record(["destination": .string(destination), "anonymousObjectsRemoved": .integer(Int64(destroyed))])
            }
        }
        try await trail.record(contentsOf: drafts)
        if !outcomes.isEmpty { try journal.recovered(outcomes) }
        return (recovered, removedFrom)
    }

    private static let tornUnreadable = "unreadable, left by an interrupted promotion"
    private static let tornAttributes = "the copy's material with attributes no finished promotion has"

    private func report(
        fleet: Fleet, apply: Bool, audit: AuditReport, plan: ReconcilePlan, scans: [HSMScan], execution: Execution,
        recovered: [ReconcileReport.Recovered], generatedAt: Date, started: ContinuousClock.Instant
    ) -> ReconcileReport {
        var failures = scans.compactMap { scan in
            scan.error.map {
                ReconcileReport.Failure(
                    hsm: scan.configuration.name, key: nil, reason: "unreachable", detail: $0.reason,
                    securityEvent: false)
            }
        }
        failures += execution.failures
        func resolved(_ finding: Finding) -> Bool {
            guard finding.kind == .missing, let key = finding.key else { return false }
            let identity = KeyIdentity(objectClass: key.class, label: key.label, id: key.id)
            return execution.promoted.contains("\(finding.hsm)\u{0}\(identity.description)")
        }
        var policy = audit.findings.filter { $0.kind == .policy }
        // A copy carries its source's policy problems to its destination.
        for copy in execution.copied {
            for finding in policy
            where finding.hsm == copy.source && finding.key?.label == copy.key.label
                && finding.key?.id == copy.key.id
            {
                policy.append(
                    Finding(
                        kind: .policy, hsm: copy.destination, reference: nil, key: finding.key, detail: finding.detail))
            }
        }
        let remaining = audit.findings.filter {
            ![.policy, .materialMismatch, .unreachable].contains($0.kind) && !resolved($0)
        }
        let status: AuditReport.Status
        if !failures.isEmpty {
            status = .error
        } else if !apply {
            status = audit.status
        } else {
            status = remaining.isEmpty && plan.conflicts.isEmpty ? .parity : .drift
        }
        let elapsed = ContinuousClock.now - started
        return ReconcileReport(
            fleet: fleet.name, applied: apply, status: status, generatedAt: generatedAt,
            durationSeconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18,
            planned: plan.copies.map {
                .init(
                    key: $0.key, source: $0.source, destination: $0.destination,
                    withPublicKey: $0.publicKey != nil && !$0.publicKeyPresent)
            },
            copied: execution.copied, skipped: plan.skipped, conflicts: plan.conflicts, failures: failures,
            policy: policy, remaining: remaining, recovered: recovered)
    }

    private static func close(_ connections: [HSMConnection]) async {
        for connection in connections {
            await connection.worker?.close()
        }
    }
}
