import HSMSyncModel

/// The public fields of a SLIP-0039 share: everything but the share value.
///
/// None of these fields reveals anything about the secret, so they may be shown, logged and
/// compared freely. Indices are SLIP-0039's raw 0-based fields; text for operators counts from 1.
/// SLIP-0039 records thresholds but not how many shares were made, so the share count (N) is not
/// part of a share.
public struct ShareMetadata: Sendable, Hashable, CustomStringConvertible {
    /// The random 15-bit identifier common to every share of a set.
    public let identifier: Int
    /// Whether the set is extendable (its encryption does not depend on the identifier, so more
    /// sets can be made for the same secret).
    public let isExtendable: Bool
    /// The iteration exponent *e*: the passphrase cipher runs 10000 · 2ᵉ PBKDF2 iterations.
    public let iterationExponent: Int
    /// The share's group, `0..<groupCount`.
    public let groupIndex: Int
    /// How many groups are needed to recover the secret, `1...16`.
    public let groupThreshold: Int
    /// How many groups the set has, `1...16`.
    public let groupCount: Int
    /// The share's index within its group (its x-coordinate), `0..<16`.
    public let memberIndex: Int
    /// How many shares of this group are needed, `1...16`.
    public let memberThreshold: Int
    /// The length of the share value, which is the length of the secret, in bytes.
    public let valueByteCount: Int

    /// Describes a share from its fields.
    public init(
        identifier: Int, isExtendable: Bool, iterationExponent: Int, groupIndex: Int, groupThreshold: Int,
        groupCount: Int, memberIndex: Int, memberThreshold: Int, valueByteCount: Int
    ) {
        self.identifier = identifier
        self.isExtendable = isExtendable
        self.iterationExponent = iterationExponent
        self.groupIndex = groupIndex
        self.groupThreshold = groupThreshold
        self.groupCount = groupCount
        self.memberIndex = memberIndex
        self.memberThreshold = memberThreshold
        self.valueByteCount = valueByteCount
    }

    /// The number of words in the share's mnemonic: 7 words of fields and checksum plus the value
    /// (20 words for a 128-bit secret, 33 for a 256-bit one).
    public var wordCount: Int {
        SLIP39Format.fixedWordCount + SLIP39Format.valueWordCount(forByteCount: valueByteCount)
    }

    /// For example "set 21219, share 2, 3 shares needed" or, with several groups,
    /// "set 21219, group 2 (2 of 4 groups needed), share 1, 3 shares of the group needed".
    public var description: String {
        let needed = "\(memberThreshold) share\(memberThreshold == 1 ? "" : "s")"
        if groupCount == 1 {
            return "share \(memberIndex + 1) of set \(identifier), \(needed) needed"
        }
        return "share \(memberIndex + 1) of set \(identifier), group \(groupIndex + 1) (\(groupThreshold) of "
            + "\(groupCount) groups needed), \(needed) of the group needed"
    }
}
