import HSMSyncModel

/// What `log verify` established: the findings and the summary of AUDIT-LOG.md §6.6.
public struct VerificationReport: Sendable {
    /// A checkpoint as verified.
    public struct CheckpointSummary: Hashable, Sendable {
        public let size: UInt64
        public let rootHash: MerkleHash
        /// Policy witnesses whose cosignatures verified, with their times.
        public let cosigners: [Cosigner]
        /// Whether the cosignatures meet the policy's quorum (`nil` without a policy).
        public let quorumMet: Bool?
    }

    /// A witness's verified cosignature.
    public struct Cosigner: Hashable, Sendable {
        public let name: String
        public let timestamp: UInt64
    }

    /// An external anchor that verified.
    public struct Anchor: Hashable, Sendable {
        public let source: String
        public let size: UInt64
    }

    /// The log's origin (the vkey's name).
    public let origin: String
    /// The vkey used.
    public let vkey: String
    /// Where the vkey came from (a file given by the auditor, or the log directory itself).
    public let vkeySource: String
    /// Findings, errors first, in report order; at most ``LogVerifier/maximumFindings``.
    public let findings: [VerificationFinding]
    /// Findings beyond the limit, not listed.
    public let omittedFindings: Int
    /// Complete entry lines.
    public let entries: UInt64
    /// The size of the largest validly signed checkpoint (0 when none).
    public let signedPrefix: UInt64
    /// The validly signed checkpoints, by size.
    public let checkpoints: [CheckpointSummary]
    public let ceremoniesOpened: Int
    public let ceremoniesClosed: Int
    /// Checkpoint sizes whose cosignatures meet the policy's quorum.
    public let quorumMetAt: [UInt64]
    /// Cosignatures from keys the policy does not know (ignored, not counted).
    public let ignoredCosignatures: Int
    /// The trusted checkpoints that verified.
    public let anchors: [Anchor]
    /// Whether an external anchor vouches for the whole signed prefix.
    public let anchored: Bool

    /// The unsigned tail: entries beyond the last signed checkpoint.
    public var unsignedTail: UInt64 { entries > signedPrefix ? entries - signedPrefix : 0 }

    /// Whether no finding is an error.
    public var isValid: Bool { !findings.contains { $0.severity == .error } }

    /// The finding that decides the verdict: the first error in report order.
    public var primary: VerificationFinding? { findings.first { $0.severity == .error } }

    /// The first entry index that cannot be trusted, when the primary finding points at entries.
    public var firstBadIndex: UInt64? {
        guard let primary, primary.tier < 2 else { return nil }
        return primary.position
    }

    /// The sentence printed with `anchored: no`.
    public static let unanchoredWarning =
        "completeness beyond the last signed checkpoint present cannot be established without an external anchor"
}
