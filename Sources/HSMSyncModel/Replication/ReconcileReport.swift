public import Foundation

/// What `hsmsync reconcile` planned or did: the document `--json` prints. Fields are only added.
public struct ReconcileReport: Sendable, Codable {
    public let fleet: String
    /// Whether changes were applied (`--apply`).
    public let applied: Bool
    /// `parity` (nothing left), `drift` (conflicts, unsyncable or other drift remain), `error` (an
    /// HSM could not be reached or a copy failed).
    public let status: AuditReport.Status
    public let generatedAt: Date
    public let durationSeconds: Double
    /// The copies planned (without `--apply`: what would be done).
    public let planned: [Planned]
    /// The copies done and verified (with `--apply`).
    public let copied: [Copied]
    /// `missing` keys not copied, with the reason.
    public let skipped: [ReconcilePlan.Skip]
    /// `material-mismatch` findings: never touched.
    public let conflicts: [Finding]
    /// Copies or HSMs that failed.
    public let failures: [Failure]
    /// `policy` findings (keys replicated without `CKA_WRAP_WITH_TRUSTED`, and other lint).
    public let policy: [Finding]
    /// Other drift reconcile leaves alone: `extra`, `attribute-mismatch`, `duplicate`,
    /// `unsyncable`, `transport-*`, `unreachable`.
    public let remaining: [Finding]
    /// Copies a previous, interrupted run left pending, and what recovery found.
    public let recovered: [Recovered]
    /// Why the run stopped before its plan was done (`SIGINT`, `SIGTERM`); absent when it was not
    /// interrupted. An interrupted run has status `error` (exit 3).
    public let interrupted: String?
    /// Planned copies an interrupted run never started (empty otherwise): the next run plans them again.
    public let notDone: [Planned]
    /// Counts: planned, copied, notDone, skipped, conflicts, failures, policy, remaining, recovered.
    public let counts: [String: Int]

    public init(
        fleet: String, applied: Bool, status: AuditReport.Status, generatedAt: Date, durationSeconds: Double,
        planned: [Planned], copied: [Copied], skipped: [ReconcilePlan.Skip], conflicts: [Finding],
        failures: [Failure], policy: [Finding], remaining: [Finding], recovered: [Recovered],
        interrupted: String? = nil, notDone: [Planned] = []
    ) {
        self.fleet = fleet
        self.applied = applied
        self.status = status
        self.generatedAt = generatedAt
        self.durationSeconds = durationSeconds
        self.planned = planned
        self.copied = copied
        self.skipped = skipped
        self.conflicts = conflicts
        self.failures = failures
        self.policy = policy
        self.remaining = remaining
        self.recovered = recovered
        self.interrupted = interrupted
        self.notDone = notDone
        self.counts = [
            "planned": planned.count, "copied": copied.count, "notDone": notDone.count, "skipped": skipped.count,
            "conflicts": conflicts.count,
            "failures": failures.count, "policy": policy.count, "remaining": remaining.count,
            "recovered": recovered.count,
        ]
    }

    /// A planned copy.
    public struct Planned: Sendable, Codable, Hashable {
        public let key: KeySummary
        public let source: String
        public let destination: String
        /// Whether the public key object travels with the private key.
        public let withPublicKey: Bool
        /// The wrap method negotiated for this source and destination (absent for a public key alone).
        public let method: WrapMethod?

        package init(
            key: KeySummary, source: String, destination: String, withPublicKey: Bool, method: WrapMethod? = nil
        ) {
            self.key = key
            self.source = source
            self.destination = destination
            self.withPublicKey = withPublicKey
            self.method = method
        }
    }

    /// A copy done and verified.
    public struct Copied: Sendable, Codable, Hashable {
        public let key: KeySummary
        public let source: String
        public let destination: String
        public let op: String
        /// The identities promoted to token objects.
        public let promoted: [String]
        /// How the copy was proven (`rewrap`, `public-key`, `sign-verify`).
        public let proofs: [String]
        /// How the key travelled (`AES-KW`, `AES-KWP`; absent for a public key alone).
        public let method: WrapMethod?
        /// The source's restrictions the destination's token could not keep (absent when none).
        public let weakened: [String]?

        package init(
            key: KeySummary, source: String, destination: String, op: String, promoted: [String], proofs: [String],
            method: WrapMethod? = nil, weakened: [String] = []
        ) {
            self.key = key
            self.source = source
            self.destination = destination
            self.op = op
            self.promoted = promoted
            self.proofs = proofs
            self.method = method
            self.weakened = weakened.isEmpty ? nil : weakened
        }
    }

    /// A failure: a copy, or a whole HSM.
    public struct Failure: Sendable, Codable, Hashable {
        public let hsm: String
        public let key: KeySummary?
        /// One word (``ReplicationError/reason``, or `unreachable`, `audit-log`).
        public let reason: String
        public let detail: String
        /// An integrity failure: logged as a security event, never retried.
        public let securityEvent: Bool

        package init(hsm: String, key: KeySummary?, reason: String, detail: String, securityEvent: Bool) {
            self.hsm = hsm
            self.key = key
            self.reason = reason
            self.detail = detail
            self.securityEvent = securityEvent
        }
    }

    /// A pending copy found by recovery.
    public struct Recovered: Sendable, Codable, Hashable {
        public let op: String
        public let key: String
        public let destination: String
        /// `committed` (present and matching), `rolled-back` (absent, or torn and removed; planned
        /// again), `conflict` (something else is there: left alone), `not-started` (the signed log
        /// never announced it, so nothing was wrapped), `refused` (the journal record contradicts the
        /// log's intent: a security event, nothing done).
        public let outcome: String

        package init(op: String, key: String, destination: String, outcome: String) {
            self.op = op
            self.key = key
            self.destination = destination
            self.outcome = outcome
        }
    }
}
