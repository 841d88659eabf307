import Foundation
import HSMSyncModel
import SignedLog

extension ReconcileRun {
    /// What the copies did.
    struct Execution {
        var copied: [ReconcileReport.Copied] = []
        var failures: [ReconcileReport.Failure] = []
        /// (destination, identity) of every object promoted.
        var promoted: Set<String> = []
        /// Why the copies stopped early (a ``StopRequest``), and the copies never started.
        var interrupted: String?
        var notDone: [ReconcilePlan.Copy] = []
    }

    /// Carries out a plan's copies in journaled batches: each batch is announced in the journal
    /// (one `fsync`) and the signed log before its first wrap, and its outcomes are logged before the
    /// journal lets go of it.
    struct Copier {
        let fleet: Fleet
        let workers: [String: any HSMEndpoint]
        let journal: ReplicationJournal
        let trail: AuditTrail
        let batchSize: Int
        let events: EngineEvents
        let stop: StopRequest?
        let fence: (any WriteFence)?

        func execute(_ plan: ReconcilePlan, scans: [HSMScan]) async throws -> Execution {
            let entries = ReplicationEntries(actor: trail.actor)
            try await trail.record(entries.plan(plan, fleet: fleet.name))
            var incomplete: [String: Int] = [:]
            var records: [String: [KeyIdentity: KeyRecord]] = [:]
            for scan in scans {
                guard let objects = scan.inventory?.objects else { continue }
                incomplete[scan.configuration.name] = objects.filter(\.isIncomplete).count
                records[scan.configuration.name] = Dictionary(
                    objects.map { ($0.identity, $0) }, uniquingKeysWith: { first, _ in first })
            }
            var execution = Execution()
            var start = 0
            while start < plan.copies.count {
                if let why = stop?.requested {
                    execution.interrupted = why
                    execution.notDone += plan.copies[start...]
                    break
                }
                // Before the batch reaches the journal: a deposed leader announces nothing more.
                try await fence?.check()
                let batch = Array(plan.copies[start..<min(start + batchSize, plan.copies.count)])
                start += batch.count
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
                try await run(batch, operations: operations, total: plan.copies.count, into: &execution)
            }
            return execution
        }

        private func run(
            _ batch: [ReconcilePlan.Copy], operations: [ReplicationJournal.Operation], total: Int,
            into execution: inout Execution
        ) async throws {
            let entries = ReplicationEntries(actor: trail.actor)
            let batchID = UUID().uuidString
            try journal.intend(operations, batch: batchID)
            // The intents reach the signed log before the first wrap: a run killed mid-batch leaves
            // in the log what it set out to do, and recovery's `replicate.recover` says how it ended.
            try await trail.record(contentsOf: operations.map(entries.intent))
            var drafts: [AuditEntryDraft] = []
            var outcomes: [String: String] = [:]
            for (copy, operation) in zip(batch, operations) {
                let base = ReplicationEntries.base(
                    op: operation.op, key: copy.identity, source: copy.source, destination: copy.destination)
                // Checked between copies only: the copy in flight always ends as any copy does.
                if let why = stop?.requested {
                    execution.interrupted = why
                    execution.notDone.append(copy)
                    outcomes[operation.op] = "not-started"
                    drafts.append(entries.abandoned(base, reason: why))
                    continue
                }
                // Outside the catch below: a refusal ends the run, it is not a failed copy. The
                // batch's remaining intents stay in the journal for the leader that took over.
                try await fence?.check()
                let outcome: CopyProgress.Outcome
                do {
                    let installed = try await copyOne(copy, operation: operation, base: base, drafts: &drafts)
                    drafts += [
                        entries.verify(base, installed: installed), entries.promote(base, installed: installed),
                        entries.commit(base),
                    ]
                    outcomes[operation.op] = "committed"
                    for identity in installed.promoted {
                        execution.promoted.insert("\(copy.destination)\u{0}\(identity.description)")
                    }
                    execution.copied.append(
                        .init(
                            key: copy.key, source: copy.source, destination: copy.destination, op: operation.op,
                            promoted: installed.promoted.map(\.description), proofs: installed.proofs,
                            method: copy.method, weakened: installed.weakened))
                    outcome = .copied
                } catch {
                    let unknown = error.leavesOutcomeUnknown
                    outcomes[operation.op] = unknown ? "unknown" : "failed"
                    execution.failures.append(
                        .init(
                            hsm: ReconcileRun.hsm(of: error) ?? copy.destination, key: copy.key, reason: error.reason,
                            detail: error.description, securityEvent: error.isSecurityEvent))
                    drafts += entries.failed(base, error: error, outcomeUnknown: unknown)
                    outcome = .failed(reason: error.reason)
                }
                events.emit(
                    .copyFinished(
                        CopyProgress(
                            key: copy.identity, source: copy.source, destination: copy.destination, outcome: outcome,
                            done: execution.copied.count + execution.failures.count, total: total)))
            }
            // Logged before the journal lets go of the batch: a kill in between leaves the batch
            // pending, and the next run's recovery logs its outcome again rather than never.
            try await trail.record(contentsOf: drafts)
            try journal.finish(batch: batchID, outcomes: outcomes)
        }

        /// One copy through the replication protocol: seal on the source, install on the destination
        /// (or, for a public key alone, copy its public values).
        private func copyOne(
            _ copy: ReconcilePlan.Copy, operation: ReplicationJournal.Operation, base: [String: JSONValue],
            drafts: inout [AuditEntryDraft]
        ) async throws(ReplicationError) -> InstalledKey {
            guard let source = workers[copy.source], let destination = workers[copy.destination] else {
                throw ReplicationError.hsmFailure(
                    hsm: workers[copy.source] == nil ? copy.source : copy.destination, operation: "connecting",
                    error: "not connected", outcomeUnknown: false)
            }
            let replicator = KeyReplicator(policy: fleet.policy)
            if copy.isPublicKeyOnly {
                return try await replicator.copyPublicKey(
                    copy.identity, fingerprint: copy.fingerprint, from: source, to: destination)
            }
            let entries = ReplicationEntries(actor: trail.actor)
            let envelope = try await replicator.seal(
                copy.identity, publicKey: copy.publicKey, fingerprint: copy.fingerprint, on: source,
                transportCheckValue: copy.transportCheckValue, opID: operation.op, method: copy.method)
            drafts.append(entries.wrap(base, envelope: envelope))
            let installed = try await replicator.install(
                envelope, on: destination, presentPublicKey: copy.publicKeyPresent)
            drafts.append(entries.stage(base))
            return installed
        }
    }

    static func hsm(of error: ReplicationError) -> String? {
        switch error {
        case .transportKeyRefused(let hsm, _), .unwrapIntegrityFailure(let hsm, _), .verificationFailed(let hsm, _),
            .conflict(let hsm, _), .hsmFailure(let hsm, _, _, _):
            return hsm
        default:
            return nil
        }
    }
}

extension ReplicationError {
    /// Whether the HSM may have done what it was asked though it reported a failure.
    var leavesOutcomeUnknown: Bool {
        if case .hsmFailure(_, _, _, let outcomeUnknown) = self { return outcomeUnknown }
        return false
    }
}
