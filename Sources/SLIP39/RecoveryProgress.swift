import HSMSyncModel

/// How far share entry has come: which groups have how many of the shares they need.
public struct RecoveryProgress: Sendable, Hashable, CustomStringConvertible {
    /// The shares entered for one group.
    public struct GroupProgress: Sendable, Hashable {
        /// The group's index (0-based, as in ``ShareMetadata/groupIndex``).
        public let groupIndex: Int
        /// Shares of the group accepted so far.
        public let entered: Int
        /// Shares of the group needed.
        public let needed: Int

        /// Whether the group has enough shares.
        public var isComplete: Bool { entered >= needed }
    }

    /// Groups needed (1 for hsmsync's own sets); 0 before the first share.
    public let groupThreshold: Int
    /// How many groups the set has; 0 before the first share.
    public let groupCount: Int
    /// Every group with at least one accepted share, by group index.
    public let groups: [GroupProgress]

    /// Whether enough shares were entered to attempt recovery: at least the group threshold of
    /// complete groups, and no group begun but left incomplete.
    public var isComplete: Bool {
        groupThreshold > 0 && groups.allSatisfy(\.isComplete) && groups.count >= groupThreshold
    }

    /// "2 of 3 shares entered", or per group when the set has several.
    public var description: String {
        guard groupThreshold > 0 else { return "no shares entered" }
        if groupCount == 1, let group = groups.first {
            return "\(group.entered) of \(group.needed) shares entered"
        }
        let perGroup = groups.map { "group \($0.groupIndex + 1): \($0.entered) of \($0.needed) shares" }
        return perGroup.joined(separator: "; ") + "; \(groupThreshold) of \(groupCount) groups needed"
    }
}
