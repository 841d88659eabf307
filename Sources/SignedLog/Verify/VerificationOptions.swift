public import Foundation
public import HSMSyncModel

/// What the auditor brings to `log verify`: trusted keys, policy, anchors, strictness.
public struct VerificationOptions: Sendable {
    /// A trusted checkpoint: an auditor's copy, a witness's state, a checkpoint from the paper record.
    public struct TrustedCheckpoint: Sendable {
        /// Where it came from (shown in the report).
        public let source: String
        public let note: SignedNote

        public init(source: String, note: SignedNote) {
            self.source = source
            self.note = note
        }
    }

    /// The log's vkey; `nil` means `DIR/log.vkey` (not independent of the log, and reported so).
    public var trustedKey: VerifierKey?
    /// Where `trustedKey` came from.
    public var trustedKeySource: String
    /// The witness policy, if any.
    public var policy: WitnessPolicy?
    /// External anchors.
    public var trustedCheckpoints: [TrustedCheckpoint]
    /// `--strict`: an unsigned tail, time regressions and checkpoint extension lines are errors.
    public var strict: Bool
    /// How far an entry's time may go back from its predecessor's, and how far a cosignature may
    /// lie in the future, in seconds.
    public var timeTolerance: Int64
    /// The verifier's clock (for FUTURE_COSIG).
    public var now: Date
    /// Threads examining entry lines in parallel (the checks along the chain stay sequential).
    public var threads: Int

    public init(
        trustedKey: VerifierKey? = nil, trustedKeySource: String = "", policy: WitnessPolicy? = nil,
        trustedCheckpoints: [TrustedCheckpoint] = [], strict: Bool = false, timeTolerance: Int64 = 300,
        now: Date = Date(), threads: Int = min(ProcessInfo.processInfo.activeProcessorCount, 4)
    ) {
        self.trustedKey = trustedKey
        self.trustedKeySource = trustedKeySource
        self.policy = policy
        self.trustedCheckpoints = trustedCheckpoints
        self.strict = strict
        self.timeTolerance = timeTolerance
        self.now = now
        self.threads = max(1, threads)
    }
}

/// `log verify` cannot start: a bad vkey (BAD_VKEY), an unusable policy or anchor, a missing
/// file. Exit 2.
public struct VerificationInputError: CategorizedError, Hashable, Sendable {
    /// BAD_VKEY, or `nil` for other input problems.
    public let `class`: VerificationClass?
    public let message: String

    public init(_ class: VerificationClass? = nil, _ message: String) {
        self.class = `class`
        self.message = message
    }

    public var category: FailureCategory { .invalidInput }
    public var description: String { (`class`.map { $0.rawValue + ": " } ?? "") + message }
}
