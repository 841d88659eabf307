public import HSMSyncModel
import SignedLog

/// The audit-log entries of replication (`replicate.*`, docs/audit-log.md), built here and only
/// here, so every writer — reconcile, a ceremony's replicate step, recovery — records the same
/// fields under the same names.
public struct ReplicationEntries: Sendable {
    public let actor: AuditActor

    public init(actor: AuditActor) {
        self.actor = actor
    }

    /// The fields every per-copy entry carries.
    public static func base(op: String, key: KeyIdentity, source: String, destination: String) -> [String: JSONValue] {
        [
            "op": .string(op), "key": .string(key.description), "source": .string(source),
            "destination": .string(destination),
        ]
    }

    /// `replicate.plan`: how many copies, skips and conflicts, and each distinct reason a transport
    /// key was refused.
    public func plan(_ plan: ReconcilePlan, fleet: String) -> AuditEntryDraft {
        var transportRefusals: [String] = []
        for skip in plan.skipped where skip.reason == "transport" && !transportRefusals.contains(skip.detail) {
            transportRefusals.append(skip.detail)
        }
        return entry(
            "replicate.plan",
            [
                "fleet": .string(fleet), "copies": .integer(Int64(plan.copies.count)),
                "skipped": .integer(Int64(plan.skipped.count)), "conflicts": .integer(Int64(plan.conflicts.count)),
                "transportRefused": .array(transportRefusals.map(JSONValue.string)),
            ])
    }

    /// `replicate.intent`: announces `operation`, binding the journal record to the log by digest
    /// (recovery acts only on records the log holds this way).
    public func intent(_ operation: ReplicationJournal.Operation) -> AuditEntryDraft {
        var outputs = Self.base(
            op: operation.op, key: operation.key, source: operation.source, destination: operation.destination)
        outputs["fingerprint"] = .string(operation.fingerprint.digest ?? "unavailable")
        outputs["journal"] = .string("sha256:\(operation.digest)")
        return entry("replicate.intent", outputs)
    }

    /// `replicate.wrap`: the sealed envelope's digest and mechanism.
    public func wrap(_ base: [String: JSONValue], envelope: KeyEnvelope) -> AuditEntryDraft {
        var outputs = base
        outputs["envelope"] = .string("sha256:\(envelope.digest)")
        outputs["mechanism"] = .string(envelope.mechanism.rawValue)
        if let method = WrapMethod(envelopeMechanism: envelope.mechanism) {
            outputs["method"] = .string(method.rawValue)
        }
        return entry("replicate.wrap", outputs)
    }

    /// `replicate.stage`: unwrapped as a session object on the destination.
    public func stage(_ base: [String: JSONValue]) -> AuditEntryDraft { entry("replicate.stage", base) }

    /// `replicate.verify`: the proofs the staged copy passed.
    public func verify(_ base: [String: JSONValue], installed: InstalledKey) -> AuditEntryDraft {
        var outputs = base
        outputs["proofs"] = .array(installed.proofs.map { .string($0) })
        return entry("replicate.verify", outputs)
    }

    /// `replicate.promote`: the token objects made.
    public func promote(_ base: [String: JSONValue], installed: InstalledKey) -> AuditEntryDraft {
        var outputs = base
        outputs["promoted"] = .array(installed.promoted.map { .string($0.description) })
        if !installed.weakened.isEmpty {
            outputs["weakened"] = .array(installed.weakened.map { .string($0) })
        }
        return entry("replicate.promote", outputs)
    }

    /// `replicate.commit`: the copy is complete.
    public func commit(_ base: [String: JSONValue]) -> AuditEntryDraft { entry("replicate.commit", base) }

    /// `replicate.abandon`: an announced copy the run never started, because it was asked to stop
    /// (`reason`: `SIGINT`, `SIGTERM`); nothing was wrapped for it, the next run plans it again.
    public func abandoned(_ base: [String: JSONValue], reason: String) -> AuditEntryDraft {
        var outputs = base
        outputs["outcome"] = .string("not-started")
        outputs["reason"] = .string(reason)
        return entry("replicate.abandon", outputs)
    }

    /// `replicate.failed`, and `security.event` with the same fields when the failure is one.
    public func failed(_ base: [String: JSONValue], error: ReplicationError, outcomeUnknown: Bool) -> [AuditEntryDraft]
    {
        var outputs = base
        outputs["reason"] = .string(error.reason)
        outputs["error"] = .string(error.description)
        var drafts = [entry("replicate.failed", outputs, result: outcomeUnknown ? .unknown : .failed)]
        if error.isSecurityEvent {
            drafts.append(entry("security.event", outputs, result: .failed))
        }
        return drafts
    }

    /// `security.event`: a pending operation's journal record contradicts the intent the log holds.
    public func recoveryRefused(op: String, destination: String) -> AuditEntryDraft {
        entry(
            "security.event",
            [
                "op": .string(op), "destination": .string(destination),
                "reason": .string("the journal record differs from the intent the signed log holds"),
            ], result: .failed)
    }

    /// `replicate.recover`: recovery is about to destroy a torn object an interrupted copy left.
    public func recoveryDestroying(op: String, destination: String, object: KeyIdentity, reason: String)
        -> AuditEntryDraft
    {
        entry(
            "replicate.recover",
            [
                "op": .string(op), "destination": .string(destination), "destroying": .string(object.description),
                "reason": .string(reason),
            ])
    }

    /// `replicate.recover`: how one pending operation ended.
    public func recovered(op: String, key: KeyIdentity, destination: String, outcome: String) -> AuditEntryDraft {
        entry(
            "replicate.recover",
            [
                "op": .string(op), "key": .string(key.description), "destination": .string(destination),
                "outcome": .string(outcome),
            ])
    }

    /// `replicate.recover`: recovery is about to destroy `count` anonymous torn objects on `destination`.
    public func destroyingTornObjects(destination: String, count: Int) -> AuditEntryDraft {
        entry(
            "replicate.recover",
            ["destination": .string(destination), "destroyingTornObjects": .integer(Int64(count))])
    }

    /// `replicate.recover`: how many of them were removed.
    public func tornObjectsRemoved(destination: String, count: Int) -> AuditEntryDraft {
        entry("replicate.recover", ["destination": .string(destination), "tornObjectsRemoved": .integer(Int64(count))])
    }

    private func entry(_ action: String, _ outputs: [String: JSONValue], result: AuditResult = .ok) -> AuditEntryDraft {
        AuditEntryDraft(action: AuditAction(action), actor: actor, outputs: outputs, result: result)
    }
}
