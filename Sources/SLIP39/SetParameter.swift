import HSMSyncModel

/// A parameter that every share of a set (or of a group) must have in common.
public enum SetParameter: String, Sendable, Hashable {
    /// Whether the set is extendable.
    case extendableFlag
    /// The passphrase cipher's iteration exponent.
    case iterationExponent
    /// The number of groups needed.
    case groupThreshold
    /// The number of groups.
    case groupCount
    /// The number of shares of a group needed.
    case memberThreshold
    /// The length of the secret (and of every share value).
    case valueLength

    /// How a share's value of this parameter reads in a message.
    func describe(_ value: Int) -> String {
        switch self {
        case .extendableFlag: value == 0 ? "not extendable" : "extendable"
        case .iterationExponent: "iteration exponent \(value)"
        case .groupThreshold: "\(value) group\(value == 1 ? "" : "s") needed"
        case .groupCount: "\(value) group\(value == 1 ? "" : "s")"
        case .memberThreshold: "\(value) share\(value == 1 ? "" : "s") needed"
        case .valueLength: "a \(value * 8)-bit secret"
        }
    }
}
