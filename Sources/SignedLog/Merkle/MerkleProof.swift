import HSMSyncModel

/// Inclusion and consistency proofs (RFC 9162 §2.1.3 and §2.1.4).
///
/// Generation is split in two: which subtrees a proof consists of depends only on the sizes, so
/// ``inclusionRanges(index:size:)`` and ``consistencyRanges(from:to:)`` name them as leaf ranges,
/// and a ``SubtreeCollector`` hashes those ranges in one pass over the leaves with O(log n) memory.
public enum MerkleProof {
    /// The largest power of two strictly below `n` (`n` ≥ 2): RFC 6962's split point `k`.
    static func splitPoint(_ n: UInt64) -> UInt64 {
        precondition(n >= 2)
        return 1 << (63 - (n - 1).leadingZeroBitCount)
    }

    /// The leaf ranges whose subtree hashes form the inclusion proof of leaf `index` in a tree of
    /// `size` leaves, in proof order (RFC 9162 §2.1.3.1 `PATH(m, D[n])`).
    public static func inclusionRanges(index: UInt64, size: UInt64) -> [Range<UInt64>] {
        precondition(index < size, "leaf \(index) is not in a tree of \(size)")
        var ranges: [Range<UInt64>] = []
        var low: UInt64 = 0
        var high = size
        // Walk down from the root, remembering each sibling; the proof lists them bottom-up.
        while high - low > 1 {
            let k = splitPoint(high - low)
            if index - low < k {
                ranges.append(low + k..<high)
                high = low + k
            } else {
                ranges.append(low..<low + k)
                low += k
            }
        }
        return ranges.reversed()
    }

    /// The leaf ranges whose subtree hashes form the consistency proof from `oldSize` to `newSize`,
    /// in proof order (RFC 9162 §2.1.4.1 `PROOF(m, D[n])`); empty when `oldSize` is 0 or equal.
    public static func consistencyRanges(from oldSize: UInt64, to newSize: UInt64) -> [Range<UInt64>] {
        precondition(oldSize <= newSize)
        guard oldSize > 0, oldSize < newSize else { return [] }
        var ranges: [Range<UInt64>] = []
        var low: UInt64 = 0
        var high = newSize
        var m = oldSize
        var isWholeOldTree = true
        // SUBPROOF(m, D[low:high], b), unrolled; siblings are collected top-down, emitted bottom-up.
        while m != high - low {
            let k = splitPoint(high - low)
            if m <= k {
                ranges.append(low + k..<high)
                high = low + k
            } else {
                ranges.append(low..<low + k)
                low += k
                m -= k
                isWholeOldTree = false
            }
        }
        if !isWholeOldTree {
            ranges.append(low..<high)
        }
        return ranges.reversed()
    }

    /// Verifies that `leafHash` is leaf `index` of the tree of `size` leaves with root `root`
    /// (RFC 9162 §2.1.3.2, including the inner "shift until the lowest bit is set" loop).
    public static func verifyInclusion(
        index: UInt64, size: UInt64, leafHash: MerkleHash, proof: [MerkleHash], root: MerkleHash
    ) -> Bool {
        guard index < size else { return false }
        var fn = index
        var sn = size - 1
        var r = leafHash
        for p in proof {
            guard sn != 0 else { return false }
            if fn & 1 == 1 || fn == sn {
                r = TreeHasher.nodeHash(p, r)
                while fn & 1 == 0 && fn != 0 {
                    fn >>= 1
                    sn >>= 1
                }
            } else {
                r = TreeHasher.nodeHash(r, p)
            }
            fn >>= 1
            sn >>= 1
        }
        return sn == 0 && r == root
    }

    /// Verifies that the tree of `newSize` leaves with root `newRoot` extends the tree of
    /// `oldSize` leaves with root `oldRoot` (RFC 9162 §2.1.4.2).
    public static func verifyConsistency(
        oldSize: UInt64, newSize: UInt64, oldRoot: MerkleHash, newRoot: MerkleHash, proof: [MerkleHash]
    ) -> Bool {
        guard oldSize <= newSize else { return false }
        if oldSize == newSize { return proof.isEmpty && oldRoot == newRoot }
        if oldSize == 0 { return proof.isEmpty }
        guard !proof.isEmpty else { return false }
        var path = proof
        if oldSize & (oldSize - 1) == 0 {
            path.insert(oldRoot, at: 0)
        }
        var fn = oldSize - 1
        var sn = newSize - 1
        while fn & 1 == 1 {
            fn >>= 1
            sn >>= 1
        }
        var fr = path[0]
        var sr = path[0]
        for c in path.dropFirst() {
            guard sn != 0 else { return false }
            if fn & 1 == 1 || fn == sn {
                fr = TreeHasher.nodeHash(c, fr)
                sr = TreeHasher.nodeHash(c, sr)
                while fn & 1 == 0 && fn != 0 {
                    fn >>= 1
                    sn >>= 1
                }
            } else {
                sr = TreeHasher.nodeHash(sr, c)
            }
            fn >>= 1
            sn >>= 1
        }
        return fr == oldRoot && sr == newRoot && sn == 0
    }

    /// Hashes the leaves of an in-memory list for the given ranges (tests, small logs).
    public static func hashes(of ranges: [Range<UInt64>], leafHashes: [MerkleHash]) -> [MerkleHash] {
        var collector = SubtreeCollector(ranges: ranges)
        for (index, leaf) in leafHashes.enumerated() {
            collector.add(leaf, at: UInt64(index))
        }
        return collector.hashes
    }
}
