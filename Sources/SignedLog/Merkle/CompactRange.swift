import HSMSyncModel

/// The streaming form of a Merkle tree: the roots of the perfect subtrees that make up the first
/// `size` leaves, largest (leftmost) first, at most one per set bit of `size`.
///
/// Appending merges equal-sized subtrees like a binary counter carries; folding them right to
/// left gives `MTH` of all leaves so far. Memory is O(log n) whatever the log size.
public struct CompactRange: Hashable, Sendable {
    /// The number of leaves covered.
    public private(set) var size: UInt64
    /// The perfect-subtree roots, left to right.
    public private(set) var hashes: [MerkleHash]

    /// The empty tree.
    public init() {
        size = 0
        hashes = []
        hashes.reserveCapacity(64)
    }

    /// A range restored from saved state.
    /// - Returns: `nil` when the number of hashes does not match the set bits of `size`.
    public init?(size: UInt64, hashes: [MerkleHash]) {
        guard size.nonzeroBitCount == hashes.count else { return nil }
        self.size = size
        self.hashes = hashes
    }

    /// Adds the next leaf.
    public mutating func append(_ leafHash: MerkleHash) {
        var hash = leafHash
        var carry = size
        while carry & 1 == 1 {
            hash = TreeHasher.nodeHash(hashes.removeLast(), hash)
            carry >>= 1
        }
        hashes.append(hash)
        size += 1
    }

    /// `MTH` of the leaves so far (the empty-tree hash when there are none).
    public var root: MerkleHash {
        guard var root = hashes.last else { return TreeHasher.emptyRoot }
        var index = hashes.count - 2
        while index >= 0 {
            root = TreeHasher.nodeHash(hashes[index], root)
            index -= 1
        }
        return root
    }
}
