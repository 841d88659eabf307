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
    /// - Throws: ``ReconcileError`` (lock held, state directory unusable) and audit trail errors
    ///   before anything is changed; per-key and per-HSM failures are in the report instead.
    public func run(_ fleet: Fleet, apply: Bool, progress: (@Sendable (Int, Int) -> Void)? = nil) async throws
        -> ReconcileReport
    {
        let started = ContinuousClock.now
        let generatedAt = Date()
        var lock: ReconcileLock?
        var journal: ReplicationJournal?
        var pending: [ReplicationJournal.Operation] = []
        if apply {
            lock = try ReconcileLock(directory: fleet.stateDirectory)
            journal = try ReplicationJournal(directory: fleet.stateDirectory)
            pending = try ReplicationJournal.pending(in: fleet.stateDirectory)
        }
        defer { withExtendedLifetime(lock) {} }

        let connections = await connector.connect(fleet.hsms, readWrite: apply, options: options)
        let workers = Dictionary(uniqueKeysWithValues: connections.compactMap { $0.worker }.map { ($0.name, $0) })
        var scans = await Self.scan(connections, fleet: fleet)
        do {
            let (recovered, removed) = try await recover(pending, scans: scans, workers: workers, journal: journal)
            if removed {
                scans = await Self.scan(connections, fleet: fleet)
            }
            let audit = DriftEngine(fleet: fleet).evaluate(scans, generatedAt: generatedAt)
            let plan = ReconcilePlanner(fleet: fleet).plan(audit, scans: scans)
            var execution = Execution()
            if apply {
                let trail = try await AuditTrail.open(for: fleet, connector: connector, checkpointPolicy: .bulk())
                do {
                    try await execute(
                        plan, fleet: fleet, scans: scans, workers: workers, journal: journal!, trail: trail,
                        recovered: recovered,
                        into: &execution, progress: progress)
                } catch {
                    try? await trail.close()
                    throw error
                }
                try await trail.close()
                if try ReplicationJournal.pending(in: fleet.stateDirectory).isEmpty {
                    try journal?.truncate()
                }
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
        journal: ReplicationJournal,
        trail: AuditTrail, recovered: [ReconcileReport.Recovered], into execution: inout Execution,
        progress: (@Sendable (Int, Int) -> Void)?
    ) async throws {
        let actor = trail.actor
        func entry(_ action: String, _ outputs: [String: JSONValue], result: AuditResult = .ok) -> AuditEntryDraft {
            AuditEntryDraft(action: AuditAction(action), actor: actor, outputs: outputs, result: result)
        }
        var opening: [AuditEntryDraft] = [
            entry(
                "replicate.plan",
                [
                    "fleet": .string(fleet.name), "copies": .integer(Int64(plan.copies.count)),
                    "skipped": .integer(Int64(plan.skipped.count)), "conflicts": .integer(Int64(plan.conflicts.count)),
                ])
        ]
        for item in recovered {
            opening.append(
                entry(
                    "replicate.recover",
                    [
                        "op": .string(item.op), "key": .string(item.key), "destination": .string(item.destination),
                        "outcome": .string(item.outcome),
                    ]))
        }
        try await trail.record(contentsOf: opening)

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
            var drafts = operations.map { operation in
                entry(
                    "replicate.intent",
                    [
                        "op": .string(operation.op), "key": .string(operation.key.description),
                        "source": .string(operation.source), "destination": .string(operation.destination),
                        "fingerprint": .string(operation.fingerprint.digest ?? "unavailable"),
                    ])
            }
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
                            envelope, on: destination, transportCheckValue: copy.transportCheckValue,
                            presentPublicKey: copy.publicKeyPresent)
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
            try journal.finish(batch: batchID, outcomes: outcomes)
            try await trail.record(contentsOf: drafts)
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
    /// - Returns: the decisions, and whether any object was destroyed (the scans are stale then).
    private func recover(
        _ pending: [ReplicationJournal.Operation], scans: [HSMScan], workers: [String: HSMWorker],
        journal: ReplicationJournal?
    ) async throws -> ([ReconcileReport.Recovered], Bool) {
        guard !pending.isEmpty else { return ([], false) }
        var inventories: [String: TokenInventory] = [:]
        for scan in scans {
            if let inventory = scan.inventory { inventories[scan.configuration.name] = inventory }
        }
        var recovered: [ReconcileReport.Recovered] = []
        var outcomes: [String: String] = [:]
        var removed = false
        for operation in pending {
            // An HSM unreachable now: decided on a later run.
            guard let inventory = inventories[operation.destination], let worker = workers[operation.destination]
            else { continue }
            let reference = inventories[operation.source]?.objects.first { $0.identity == operation.key }
            var outcome = "rolled-back"
            for identity in [operation.key] + (operation.publicKey.map { [$0] } ?? []) {
                let present = inventory.objects.filter {
                    $0.identity == identity
                        || ($0.isOdd && $0.label == identity.label && $0.id.map { $0 == identity.id } ?? true)
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
                        let target = record.identity
                        do {
                            try await worker.withObjects([target]) { session, handles, _ in
                                try session.destroyObject(handles[0])
                            }
                            removed = true
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
        }
        // Objects with no identity at all, on a destination that had none when the interrupted copies
        // were planned, were made by those copies' promotions (the lock keeps other reconciles out).
        for (destination, operations) in Dictionary(grouping: pending, by: \.destination) {
            guard let inventory = inventories[destination], let worker = workers[destination],
                operations.allSatisfy({ $0.anonymousObjectsBefore == 0 })
            else { continue }
            for identity in Set(inventory.objects.filter(\.isAnonymous).map(\.identity)) {
                let destroyed = try? await worker.withEveryObject(identity) { session, handles in
                    var count = 0
                    for handle in handles where (try? session.keyRecord(of: handle)).map(\.isAnonymous) ?? true {
                        if (try? session.destroyObject(handle)) != nil { count += 1 }
                    }
                    return count
                }
                if (destroyed ?? 0) > 0 { removed = true }
            }
        }
        if !outcomes.isEmpty { try journal?.recovered(outcomes) }
        return (recovered, removed)
    }

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

    /// Scans every connected HSM in parallel (keeping the workers open for the copies).
    static func scan(_ connections: [HSMConnection], fleet: Fleet) async -> [HSMScan] {
        await withTaskGroup(of: (Int, HSMScan).self) { group in
            for (index, connection) in connections.enumerated() {
                group.addTask {
                    guard let worker = connection.worker else {
                        return (index, .failed(connection.configuration, connection.error!))
                    }
                    let configuration = worker.configuration
                    let started = Date()
                    do {
                        let result = try await worker.scan(transportLabel: fleet.transport.label, scope: fleet.keys)
                        guard let token = await worker.token else {
                            return (index, .failed(configuration, HSMError(hsm: configuration.name, .notOpen)))
                        }
                        return (
                            index,
                            .scanned(
                                configuration,
                                TokenInventory(
                                    hsm: configuration.name, role: configuration.role, site: configuration.site,
                                    token: TokenSummary(
                                        label: token.label, serial: token.serialNumber, model: token.model,
                                        manufacturer: token.manufacturer),
                                    objects: result.objects, transport: result.transport, vanished: result.vanished,
                                    scanSeconds: Date().timeIntervalSince(started), phases: result.phases))
                        )
                    } catch let error as HSMError {
                        return (index, .failed(configuration, error))
                    } catch {
                        return (
                            index,
                            .failed(
                                configuration,
                                HSMError(hsm: configuration.name, .unreachable(reason: "scan failed: \(error)")))
                        )
                    }
                }
            }
            var results = [HSMScan?](repeating: nil, count: connections.count)
            for await (index, scan) in group { results[index] = scan }
            return results.map { $0! }
        }
    }

    private static func close(_ connections: [HSMConnection]) async {
        for connection in connections {
            await connection.worker?.close()
        }
    }
}
