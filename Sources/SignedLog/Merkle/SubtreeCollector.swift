import HSMSyncModel

/// Computes the subtree hashes of a set of disjoint leaf ranges in one pass over the leaves, with
/// O(log n) memory: the way a witness or a proof command turns ``MerkleProof`` ranges into a
/// proof while streaming `entries.jsonl`.
public struct SubtreeCollector: Sendable {
    private let ranges: [Range<UInt64>]
    /// Positions in `ranges`, sorted by where each range starts.
    private let order: [Int]
    private var next = 0
    private var current = CompactRange()
    private var results: [MerkleHash?]

    /// Prepares to hash `ranges`, which must not overlap.
    public init(ranges: [Range<UInt64>]) {
        self.ranges = ranges
        order = ranges.indices.sorted { ranges[$0].lowerBound < ranges[$1].lowerBound }
        results = Array(repeating: nil, count: ranges.count)
    }

    /// Feeds leaf `index`; leaves must come in order, from 0 or from the first range's start.
    public mutating func add(_ leafHash: MerkleHash, at index: UInt64) {
        guard next < order.count else { return }
        let range = ranges[order[next]]
        guard range.contains(index) else { return }
        current.append(leafHash)
        if index + 1 == range.upperBound {
            results[order[next]] = current.root
            current = CompactRange()
            next += 1
        }
    }

    /// Whether every range has been hashed.
    public var isComplete: Bool { next == order.count }

    /// The hashes in the order the ranges were given (call when ``isComplete``).
    public var hashes: [MerkleHash] {
        precondition(isComplete, "not every leaf of the requested ranges was added")
        return results.map { $0! }
    }
}
