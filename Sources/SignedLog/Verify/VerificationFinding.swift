import HSMSyncModel

/// One problem found by ``LogVerifier``.
public struct VerificationFinding: Hashable, Sendable {
    /// Whether the finding fails verification.
    public enum Severity: String, Sendable, Hashable {
        case error
        case warning
    }

    public let `class`: VerificationClass
    public let severity: Severity
    /// The entry index where the check failed (for ROOT_MISMATCH: the first entry no matching
    /// signed root covers; for TRUNCATION: the first missing entry), or `nil`.
    public let index: UInt64?
    /// For CHAIN_BREAK: the entry the verifier blames (the line before, when only its bytes changed).
    public let blame: UInt64?
    /// The size of the checkpoint concerned, or `nil`.
    public let checkpoint: UInt64?
    /// What is wrong, for the operator.
    public let message: String
    /// Notes printed verbatim (both sides of a FORK).
    public let notes: [String]

    public init(
        _ class: VerificationClass, severity: Severity = .error, index: UInt64? = nil, blame: UInt64? = nil,
        checkpoint: UInt64? = nil, message: String, notes: [String] = []
    ) {
        self.class = `class`
        self.severity = severity
        self.index = index
        self.blame = blame
        self.checkpoint = checkpoint
        self.message = message
        self.notes = notes
    }

    /// 0: about an entry line; 1: about a range of entries (a root or a size); 2: about notes.
    var tier: Int {
        if `class`.isEntryClass && index != nil { return 0 }
        if index != nil { return 1 }
        return 2
    }

    /// The entry index this finding points the auditor to.
    var position: UInt64 {
        switch tier {
        case 0: blame ?? index!
        case 1: index!
        default: checkpoint ?? 0
        }
    }

    /// The order of the report: errors first, then entry problems by index, range problems, note problems.
    static func reportOrder(_ lhs: VerificationFinding, _ rhs: VerificationFinding) -> Bool {
        let left = (lhs.severity == .error ? 0 : 1, lhs.tier, lhs.position, lhs.class.rank, lhs.checkpoint ?? 0)
        let right = (rhs.severity == .error ? 0 : 1, rhs.tier, rhs.position, rhs.class.rank, rhs.checkpoint ?? 0)
        if left != right { return left < right }
        return lhs.message < rhs.message
    }
}
