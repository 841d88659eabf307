public import HSMSyncModel
import SignedLog

/// The plan witnesses review before a ceremony: every step, what the live fleet showed for it as
/// typed checks, and the problems that stop it. Front ends render it in their own words; the
/// digest (read aloud as PGP words, recorded in `ceremony.open`) covers the checks' canonical
/// encoding, never the wording, so rewording a sentence cannot change what witnesses signed.
public struct CeremonyPlan: Sendable {
    public let script: CeremonyScript
    public let fleet: Fleet
    public let rehearsal: Bool
    public let steps: [PlannedStep]

    /// Why the plan cannot be carried out, one sentence per failed check; empty when it can.
    public var problems: [String] {
        steps.flatMap { planned in planned.checks.flatMap { $0.problems(step: planned.step.id) } }
    }

    /// SHA-256 of ``canonicalEncoding``.
    public var digest: AuditDigest { AuditDigest.sha256(of: canonicalEncoding) }

    /// The digest as PGP words.
    public var words: String { PGPWords.string(for: digest.bytes) }

    /// The bytes the digest covers: canonical JSON (docs/ceremony-format.md, "The plan digest") of
    /// the ceremony file's digest, the fleet's name, whether this is a rehearsal, and per step its
    /// id, action, whether an earlier attempt did it, and every check with its findings.
    public var canonicalEncoding: [UInt8] {
        CanonicalJSON.encode(
            .object([
                "version": .integer(1),
                "script": .string(script.digest.description),
                "fleet": .string(fleet.name),
                "rehearsal": .bool(rehearsal),
                "steps": .array(
                    steps.map { planned in
                        .object([
                            "id": .string(planned.step.id), "action": .string(planned.step.action.name),
                            "done": .bool(planned.done), "checks": .array(planned.checks.map(\.canonicalValue)),
                        ])
                    }),
            ]))
    }
}

/// One step of a plan.
public struct PlannedStep: Sendable {
    /// 1-based position in the ceremony.
    public let number: Int
    public let step: CeremonyStep
    /// Done in an earlier attempt: not repeated, not checked.
    public let done: Bool
    public let checks: [PlanCheck]
}
