public import HSMSyncModel
import SLIP39
import SignedLog

/// How a new transport key is split: M of N custodian shares, one SLIP-0039 group.
public struct TransportShareParameters: Sendable, Hashable, Codable {
    /// M: shares needed to rebuild the key.
    public let threshold: Int
    /// N: shares made, one per custodian.
    public let count: Int

    /// Checks M and N against policy and SLIP-0039 before anything is touched.
    ///
    /// - Throws: ``TransportError/invalidShareParameters(_:)`` when M < 2 (split knowledge needs two
    ///   custodians, SECURITY.md R9), M > N, or N > 16 (SLIP-0039).
    public init(threshold: Int, count: Int) throws(TransportError) {
        guard threshold >= 2 else {
            throw .invalidShareParameters(
                "a threshold of \(threshold) is refused: at least 2 custodians must be needed to rebuild the "
                    + "transport key (split knowledge, SECURITY.md R9)")
        }
        guard count >= threshold else {
            throw .invalidShareParameters(
                "a threshold of \(threshold) with \(count) shares is impossible: the threshold cannot exceed the "
                    + "number of shares")
        }
        guard count <= SLIP39Format.maximumShareCount else {
            throw .invalidShareParameters(
                "\(count) shares is more than SLIP-0039 allows in one group (\(SLIP39Format.maximumShareCount))")
        }
        self.threshold = threshold
        self.count = count
    }

    /// Advice that does not stop the ceremony: N < 2M is recommended, so that no two disjoint groups
    /// of M custodians exist (each could rebuild the key without the other knowing).
    public var warnings: [String] {
        guard count >= 2 * threshold else { return [] }
        return [
            "\(threshold) of \(count) shares: N < 2M (here at most \(2 * threshold - 1) shares) is recommended "
                + "(SECURITY.md R9); with \(count) custodians, two separate groups of \(threshold) could each rebuild "
                + "the key without the other"
        ]
    }
}
