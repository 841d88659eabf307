public import HSMSyncModel

/// Why a secret could not be split with the requested parameters.
public enum ShareSplitError: CategorizedError, Hashable {
    /// The secret is shorter than 128 bits or not a whole number of 16-bit units.
    case invalidSecretLength(bytes: Int)
    /// A threshold is below 1 or above its share (or group) count, or a count is above 16.
    case invalidThreshold(threshold: Int, count: Int)
    /// No groups were requested.
    case noGroups
    /// A group with threshold 1 would have several identical shares; SLIP-0039 asks for 1-of-1 instead.
    case multipleSharesWithThresholdOne(count: Int)
    /// The iteration exponent does not fit in 4 bits.
    case invalidIterationExponent(Int)
    /// The passphrase holds a byte outside printable ASCII (32–126), which other implementations
    /// may not accept.
    case passphraseNotPrintableASCII
    /// The random source returned fewer or more bytes than asked for.
    case shortRandomOutput(requested: Int, received: Int)

    /// A bad request is invalid input (exit 2); a misbehaving random source is a runtime failure.
    public var category: FailureCategory {
        if case .shortRandomOutput = self { return .runtime }
        return .invalidInput
    }

    /// What was wrong with the request.
    public var description: String {
        switch self {
        case .invalidSecretLength(let bytes):
            "a \(bytes * 8)-bit secret cannot be shared: SLIP-0039 needs at least 128 bits, a multiple of 16"
        case .invalidThreshold(let threshold, let count):
            "a threshold of \(threshold) with \(count) shares is invalid: the threshold must be 1 to \(count) "
                + "and at most 16 shares can be made"
        case .noGroups:
            "no share groups were requested"
        case .multipleSharesWithThresholdOne(let count):
            "\(count) shares with a threshold of 1 would all be the secret itself; make 1 share instead"
        case .invalidIterationExponent(let exponent):
            "iteration exponent \(exponent) is out of range (0 to 15)"
        case .passphraseNotPrintableASCII:
            "the passphrase must contain only printable ASCII characters"
        case .shortRandomOutput(let requested, let received):
            "the random source returned \(received) bytes instead of \(requested)"
        }
    }
}
