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
        // A token another hsmsync process is changing (another fleet file naming it, a restore) is
        // not planned against at all: the whole run is refused, nothing touched.
        if let locked = connections.compactMap(\.error).first(where: \.isTokenLocked) {
            await Self.close(connections)
            throw locked
        }
        let workers = Dictionary(
            uniqueKeysWithValues: connections.compactMap(\.endpoint).map { ($0.name, $0) })
        var scans = await InventoryScanner.scan(connections, fleet: fleet)
        do {
            var recovered: [ReconcileReport.Recovered] = []
            if let journal, let trail {
                let (decisions, removedFrom) = try await recover(
                    pending, fleet: fleet, scans: scans, workers: workers, journal: journal, trail: trail)
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
        _ plan: ReconcilePlan, fleet: Fleet, scans: [HSMScan], workers: [String: any HSMEndpoint],
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
        var incomplete: [String: Int] = [:]
        var records: [String: [KeyIdentity: KeyRecord]] = [:]
        for scan in scans {
            guard let objects = scan.inventory?.objects else { continue }
            incomplete[scan.configuration.name] = objects.filter(\.isIncomplete).count
            records[scan.configuration.name] = Dictionary(
                objects.map { ($0.identity, $0) }, uniquingKeysWith: { first, _ in first })
        }
        var start = 0
        while start < plan.copies.count {
            let batch = Array(plan.copies[start..<min(start + batchSize, plan.copies.count)])
            start += batch.count
            let batchID = UUID().uuidString
            let operations = batch.map { copy in
                let publicKey = copy.publicKeyPresent ? nil : copy.publicKey
                let source = records[copy.source]
                return ReplicationJournal.Operation(
                    op: UUID().uuidString, key: copy.identity, publicKey: publicKey, source: copy.source,
                    destination: copy.destination, fingerprint: copy.fingerprint,
                    incompleteObjectsBefore: incomplete[copy.destination],
                    keyPolicy: source?[copy.identity].map(ReplicationJournal.StagedPolicy.init),
                    publicKeyPolicy: publicKey.flatMap { source?[$0] }.map(ReplicationJournal.StagedPolicy.init))
            }
            try journal.intend(operations, batch: batchID)
            // The intents reach the signed log before the first wrap: a run killed mid-batch leaves
            // in the log what it set out to do, and recovery's `replicate.recover` says how it ended.
            try await trail.record(contentsOf: operations.map { Self.intentEntry($0, actor: actor) })
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
                        wrapped["mechanism"] = .string(envelope.mechanism.rawValue)
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
        for decision in recovered where decision.outcome == "refused" {
            failures.append(
                .init(
                    hsm: decision.destination, key: nil, reason: "journal",
                    detail:
                        "pending copy \(decision.op) of \(decision.key): the journal record differs from the intent "
                        + "the signed log holds (edited?); recovery did nothing for it",
                    securityEvent: true))
        }
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

    /// The `replicate.intent` entry announcing `operation` in the signed log, binding the journal
    /// record to it by digest (recovery acts only on records the log holds this way).
    public static func intentEntry(_ operation: ReplicationJournal.Operation, actor: AuditActor) -> AuditEntryDraft {
        AuditEntryDraft(
            action: AuditAction("replicate.intent"), actor: actor,
            outputs: [
                "op": .string(operation.op), "key": .string(operation.key.description),
                "source": .string(operation.source), "destination": .string(operation.destination),
                "fingerprint": .string(operation.fingerprint.digest ?? "unavailable"),
                "journal": .string("sha256:\(operation.digest)"),
            ])
    }

    static func close(_ connections: [HSMConnection]) async {
        for connection in connections {
            await connection.endpoint?.close()
        }
    }
}
