import Foundation
import HSMSyncModel
import SignedLog

/// Recovery of the copies an interrupted `reconcile --apply` left pending (SECURITY.md R21).
///
/// Recovery never destroys on the journal's word alone: the journal is a plain file, and the only
/// objects recovery may destroy are those it can tie to an operation that the signed log announced
/// (the `replicate.intent` entry carries the journal record's digest) and that are exactly what
/// that operation would have left torn. Everything else is decided by looking, and left alone.
extension ReconcileRun {
    /// How one pending operation stands against the signed log.
    enum Binding {
        /// The log's intent entry carries this record's digest: recovery may act on it.
        case bound
        /// No intent entry: the run died between the journal's `fsync` and the log append, before
        /// anything was wrapped (wrapping waits for the log).
        case unlogged
        /// An intent entry from before journal digests were logged: looked at, never acted on.
        case legacy
        /// The log's intent entry says something else: the journal was edited. A security event.
        case contradicted
    }

    /// Decides each pending copy from what its destination holds now, acting only on bound ones:
    ///
    /// - absent → `rolled-back` (planned again);
    /// - present with the intent's material (an available fingerprint, equal) and its policy →
    ///   `committed`;
    /// - bound, and torn by the kill — unreadable with the copy's label, or the copy's material and
    ///   policy with `CKA_TOKEN=false` (SoftHSM2 writes a copied object's file before applying
    ///   `CKA_TOKEN=true`) → destroyed (logged first) and `rolled-back`;
    /// - anything else → `conflict`, left alone: other material, another policy (a copy hardened
    ///   since), an unavailable fingerprint.
    ///
    /// Unlogged operations are `not-started`; contradicted ones `refused`, with a security event.
    /// An undecided copy (its destination unreachable now) stays pending for a later run.
    ///
    /// - Returns: the decisions, and the HSMs on which objects were destroyed (their scans are stale).
    func recover(
        _ pending: [ReplicationJournal.Operation], fleet: Fleet, scans: [HSMScan], workers: [String: any HSMEndpoint],
        journal: ReplicationJournal, trail: AuditTrail
    ) async throws -> ([ReconcileReport.Recovered], Set<String>) {
        guard !pending.isEmpty else { return ([], []) }
        var inventories: [String: TokenInventory] = [:]
        for scan in scans {
            if let inventory = scan.inventory { inventories[scan.configuration.name] = inventory }
        }
        let bindings = try Self.bindings(of: pending, logDirectory: trail.isEnabled ? fleet.log?.directory : nil)
        var recovered: [ReconcileReport.Recovered] = []
        var outcomes: [String: String] = [:]
        var removedFrom: Set<String> = []
        var drafts: [AuditEntryDraft] = []
        let entries = ReplicationEntries(actor: trail.actor)
        for operation in pending {
            guard let inventory = inventories[operation.destination], let worker = workers[operation.destination]
            else { continue }
            let binding = bindings[operation.op] ?? .unlogged
            var outcome: String
            switch binding {
            case .unlogged:
                outcome = "not-started"
            case .contradicted:
                outcome = "refused"
                drafts.append(entries.recoveryRefused(op: operation.op, destination: operation.destination))
            case .bound, .legacy:
                outcome = "rolled-back"
                for identity in [operation.key] + (operation.publicKey.map { [$0] } ?? []) {
                    for record in Self.candidates(identity, in: inventory) {
                        let policy = identity == operation.key ? operation.keyPolicy : operation.publicKeyPolicy
                        switch Self.judge(record, operation: operation, policy: policy) {
                        case .torn(let reason) where binding == .bound:
                            // Durable in the log before the object is gone.
                            try await trail.record(
                                entries.recoveryDestroying(
                                    op: operation.op, destination: operation.destination, object: record.identity,
                                    reason: reason))
                            do {
                                try await worker.destroy(record.identity)
                                removedFrom.insert(operation.destination)
                            } catch {
                                outcome = "conflict"
                            }
                        case .torn:
                            outcome = "conflict"
                        case .matches:
                            if identity == operation.key && outcome != "conflict" { outcome = "committed" }
                        case .differs:
                            outcome = "conflict"
                        }
                    }
                }
            }
            outcomes[operation.op] = outcome
            recovered.append(
                .init(
                    op: operation.op, key: operation.key.description, destination: operation.destination,
                    outcome: outcome))
            drafts.append(
                entries.recovered(
                    op: operation.op, key: operation.key, destination: operation.destination, outcome: outcome))
        }
        let boundPending = pending.filter { bindings[$0.op] == .bound }
        removedFrom.formUnion(
            try await removeTornWrites(
                boundPending, inventories: inventories, workers: workers, trail: trail, drafts: &drafts))
        try await trail.record(contentsOf: drafts)
        if !outcomes.isEmpty { try journal.recovered(outcomes) }
        return (recovered, removedFrom)
    }

    /// How an object found under a pending copy's identity compares with what the copy staged.
    enum Judgement: Equatable {
        case torn(String)
        case matches
        case differs
    }

    /// Objects that may be the copy: its identity, or an unreadable object carrying its label.
    static func candidates(_ identity: KeyIdentity, in inventory: TokenInventory) -> [KeyRecord] {
        inventory.objects.filter {
            $0.identity == identity
                || ($0.isIncomplete && $0.label == identity.label && ($0.id.map { $0 == identity.id } ?? true)
                    && ($0.objectClass == identity.objectClass || $0.objectClass == "unknown"))
        }
    }

    static func judge(
        _ record: KeyRecord, operation: ReplicationJournal.Operation, policy: ReplicationJournal.StagedPolicy?
    )
        -> Judgement
    {
        if record.isIncomplete { return .torn(tornUnreadable) }
        // An unavailable fingerprint proves nothing: never "the same material".
        guard let expected = operation.fingerprint.digest, record.fingerprint.digest == expected,
            let policy, policy.matches(record)
        else { return .differs }
        return record.attributes.token == true ? .matches : .torn(tornAttributes)
    }

    /// Unreadable objects with no identity at all, on a destination that had no unreadable object
    /// when the bound copies to it were planned: the torn writes of those copies' promotions. A
    /// complete object is never among them, whoever made it, labelled or not.
    private func removeTornWrites(
        _ pending: [ReplicationJournal.Operation], inventories: [String: TokenInventory],
        workers: [String: any HSMEndpoint],
        trail: AuditTrail, drafts: inout [AuditEntryDraft]
    ) async throws -> Set<String> {
        var removedFrom: Set<String> = []
        for (destination, operations) in Dictionary(grouping: pending, by: \.destination) {
            guard let inventory = inventories[destination], let worker = workers[destination],
                operations.allSatisfy({ $0.incompleteObjectsBefore == 0 })
            else { continue }
            let torn = inventory.objects.filter { $0.isIncomplete && $0.isAnonymous }
            guard !torn.isEmpty else { continue }
            let entries = ReplicationEntries(actor: trail.actor)
            try await trail.record(entries.destroyingTornObjects(destination: destination, count: torn.count))
            var destroyed = 0
            for identity in Set(torn.map(\.identity)) {
                destroyed += await worker.destroyUnreadable(identity)
            }
            if destroyed > 0 {
                removedFrom.insert(destination)
                drafts.append(entries.tornObjectsRemoved(destination: destination, count: destroyed))
            }
        }
        return removedFrom
    }

    /// Each pending operation's standing in the signed log. The log was opened (its signed prefix
    /// checked against its checkpoint) by the trail before this is read. No log: nothing is bound.
    static func bindings(of pending: [ReplicationJournal.Operation], logDirectory: String?) throws
        -> [String: Binding]
    {
        let wanted = Dictionary(pending.map { ($0.op, $0) }, uniquingKeysWith: { first, _ in first })
        guard let logDirectory else {
            return wanted.mapValues { _ in .legacy }
        }
        let path = LogDirectory(path: logDirectory).entries
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ReconcileError.state("cannot read the signed log's entries at \(path)")
        }
        let marker = Data("\"replicate.intent\"".utf8)
        var bindings: [String: Binding] = [:]
        for line in data.split(separator: 0x0A) where line.range(of: marker) != nil {
            guard let logged = try? AuditEntry(line: Array(line)), logged.action == "replicate.intent",
                case .string(let op)? = logged.outputs["op"], let operation = wanted[op]
            else { continue }
            guard case .string(let journal)? = logged.outputs["journal"] else {
                bindings[op] = .legacy
                continue
            }
            let agrees =
                journal == "sha256:\(operation.digest)"
                && logged.outputs["key"] == .string(operation.key.description)
                && logged.outputs["source"] == .string(operation.source)
                && logged.outputs["destination"] == .string(operation.destination)
            // A second intent entry for one op can only be forged: the first verdict of "contradicted" stays.
            if bindings[op] != .contradicted { bindings[op] = agrees ? .bound : .contradicted }
        }
        return bindings
    }

    static let tornUnreadable = "unreadable, left by an interrupted promotion"
    static let tornAttributes = "the copy's material and policy with CKA_TOKEN=false, left by an interrupted promotion"
}
