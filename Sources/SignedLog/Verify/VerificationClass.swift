import HSMSyncModel

/// The classes of AUDIT-LOG.md §6: what kind of problem a finding is. The raw values are the
/// stable names printed by `log verify` and compared with independent verifiers.
public enum VerificationClass: String, Sendable, Hashable, CaseIterable, Comparable {
    case parse = "PARSE"
    case foreignLog = "FOREIGN_LOG"
    case seqOrder = "SEQ_ORDER"
    case seqGap = "SEQ_GAP"
    case chainBreak = "CHAIN_BREAK"
    case timeRegression = "TIME_REGRESSION"
    case tornTail = "TORN_TAIL"
    case originMismatch = "ORIGIN_MISMATCH"
    case fork = "FORK"
    case forkVsAnchor = "FORK_VS_ANCHOR"
    case badSignature = "BAD_SIGNATURE"
    case noValidLogSignature = "NO_VALID_LOG_SIGNATURE"
    case rootMismatch = "ROOT_MISMATCH"
    case truncation = "TRUNCATION"
    case truncationVsAnchor = "TRUNCATION_VS_ANCHOR"
    case badCosignature = "BAD_COSIGNATURE"
    case cosigTimeRegression = "COSIG_TIME_REGRESSION"
    case futureCosig = "FUTURE_COSIG"
    case quorumNotMet = "QUORUM_NOT_MET"
    case unsignedTail = "UNSIGNED_TAIL"
    case badVkey = "BAD_VKEY"

    /// The tie-break order among findings at the same position: the declaration order.
    var rank: Int { Self.allCases.firstIndex(of: self)! }

    public static func < (lhs: VerificationClass, rhs: VerificationClass) -> Bool { lhs.rank < rhs.rank }

    /// Whether the class is about one entry line (it then carries the line's index).
    var isEntryClass: Bool {
        switch self {
        case .parse, .foreignLog, .seqOrder, .seqGap, .chainBreak, .timeRegression, .tornTail: true
        default: false
        }
    }
}
