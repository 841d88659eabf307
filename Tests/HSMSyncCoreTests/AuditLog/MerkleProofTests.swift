import HSMSyncModel
import SignedLog
import Testing

@testable import HSMSyncCore

/// Inclusion and consistency proofs against proofs generated from the RFC definitions, for every
/// size up to 70 (AUDIT-LOG.md §2), and rejection of every single-hash mutation.
@Suite("Merkle proofs")
struct MerkleProofTests {
    static let maximumSize = 70
    static let leaves = (0..<maximumSize).map { TreeHasher.leafHash(Array("entry \($0)".utf8)) }

    @Test("inclusion: generated = RFC PATH, verifies, mutations fail, for every size ≤ 70")
    func inclusion() {
        var checked = 0
        for size in 1...Self.maximumSize {
            let tree = Self.leaves[0..<size]
            let root = RFC6962.mth(tree)
            for index in 0..<size {
                let reference = RFC6962.path(index, tree)
                let generated = MerkleProof.hashes(
                    of: MerkleProof.inclusionRanges(index: UInt64(index), size: UInt64(size)), leafHashes: Array(tree))
                #expect(generated == reference, "size \(size) index \(index)")
                #expect(
                    MerkleProof.verifyInclusion(
                        index: UInt64(index), size: UInt64(size), leafHash: tree[index], proof: reference, root: root))
                for position in reference.indices {
                    var mutated = reference
                    mutated[position] = TreeHasher.leafHash(mutated[position].bytes)
                    #expect(
                        !MerkleProof.verifyInclusion(
                            index: UInt64(index), size: UInt64(size), leafHash: tree[index], proof: mutated, root: root)
                    )
                }
                #expect(
                    !MerkleProof.verifyInclusion(
                        index: UInt64(index), size: UInt64(size), leafHash: tree[index], proof: reference + [root],
                        root: root))
                if size > 1 {
                    let other = (index + 1) % size
                    #expect(
                        !MerkleProof.verifyInclusion(
                            index: UInt64(other), size: UInt64(size), leafHash: tree[index], proof: reference,
                            root: root))
                }
                checked += 1
            }
            #expect(
                !MerkleProof.verifyInclusion(
                    index: UInt64(size), size: UInt64(size), leafHash: tree.last!, proof: [], root: root))
        }
        #expect(checked == Self.maximumSize * (Self.maximumSize + 1) / 2)
    }

    @Test("consistency: generated = RFC PROOF, verifies, mutations fail, for every pair ≤ 70")
    func consistency() {
        for newSize in 1...Self.maximumSize {
            let tree = Self.leaves[0..<newSize]
            let newRoot = RFC6962.mth(tree)
            for oldSize in 0...newSize {
                let oldRoot = RFC6962.mth(tree.prefix(oldSize))
                let reference = RFC6962.proof(oldSize, tree)
                let generated = MerkleProof.hashes(
                    of: MerkleProof.consistencyRanges(from: UInt64(oldSize), to: UInt64(newSize)),
                    leafHashes: Array(tree))
                #expect(generated == reference, "\(oldSize) → \(newSize)")
                #expect(
                    MerkleProof.verifyConsistency(
                        oldSize: UInt64(oldSize), newSize: UInt64(newSize), oldRoot: oldRoot, newRoot: newRoot,
                        proof: reference))
                for position in reference.indices {
                    var mutated = reference
                    mutated[position] = TreeHasher.leafHash(mutated[position].bytes)
                    #expect(
                        !MerkleProof.verifyConsistency(
                            oldSize: UInt64(oldSize), newSize: UInt64(newSize), oldRoot: oldRoot, newRoot: newRoot,
                            proof: mutated))
                }
                if oldSize > 0 && oldSize < newSize {
                    let wrongOld = TreeHasher.leafHash(oldRoot.bytes)
                    #expect(
                        !MerkleProof.verifyConsistency(
                            oldSize: UInt64(oldSize), newSize: UInt64(newSize), oldRoot: wrongOld, newRoot: newRoot,
                            proof: reference))
                    #expect(
                        !MerkleProof.verifyConsistency(
                            oldSize: UInt64(oldSize), newSize: UInt64(newSize), oldRoot: oldRoot, newRoot: newRoot,
                            proof: []))
                }
            }
            #expect(
                !MerkleProof.verifyConsistency(
                    oldSize: UInt64(newSize + 1), newSize: UInt64(newSize), oldRoot: newRoot, newRoot: newRoot,
                    proof: []))
        }
    }

    /// AUDIT-LOG.md §2: a verifier without the inner "shift until the lowest bit is set" loop
    /// rejects 105 of the 820 valid inclusion proofs of sizes ≤ 40. Shows the proofs above
    /// exercise that loop (and that this suite would catch its absence).
    @Test("a verifier lacking the inner loop rejects 105 of 820 valid proofs")
    func innerLoopMatters() {
        func verifyWithoutInnerLoop(index: Int, size: Int, leaf: MerkleHash, proof: [MerkleHash], root: MerkleHash)
            -> Bool
        {
            var fn = index, sn = size - 1, r = leaf
            for p in proof {
                if sn == 0 { return false }
                if fn & 1 == 1 || fn == sn { r = TreeHasher.nodeHash(p, r) } else { r = TreeHasher.nodeHash(r, p) }
                fn >>= 1
                sn >>= 1
            }
            return sn == 0 && r == root
        }
        var total = 0, rejected = 0
        for size in 1...40 {
            let tree = Self.leaves[0..<size]
            let root = RFC6962.mth(tree)
            for index in 0..<size {
                total += 1
                if !verifyWithoutInnerLoop(
                    index: index, size: size, leaf: tree[index], proof: RFC6962.path(index, tree), root: root)
                {
                    rejected += 1
                }
            }
        }
        #expect(total == 820)
        #expect(rejected == 105)
    }

    @Test("longest proofs: 10³ entries → 10 / 11 hashes, 10⁶ → 20 / 21")
    func proofLengths() {
        func longest(_ n: UInt64, step: UInt64) -> (inclusion: Int, consistency: Int) {
            var inclusion = 0, consistency = 0
            var m: UInt64 = 0
            while m < n {
                inclusion = max(inclusion, MerkleProof.inclusionRanges(index: m, size: n).count)
                consistency = max(consistency, MerkleProof.consistencyRanges(from: m, to: n).count)
                m += step
            }
            return (inclusion, consistency)
        }
        let thousand = longest(1000, step: 1)
        #expect(thousand.inclusion == 10 && thousand.consistency == 11)
        let million = longest(1_000_000, step: 1)
        #expect(million.inclusion == 20 && million.consistency == 21)
    }
}
