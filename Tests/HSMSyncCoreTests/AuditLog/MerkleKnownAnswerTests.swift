import Crypto
import HSMSyncModel
import SignedLog
import Testing

@testable import HSMSyncCore

/// AUDIT-LOG.md §7: RFC 6962 roots of the first n leaves (transparency-dev/merkle testonly).
@Suite("Merkle known answers")
struct MerkleKnownAnswerTests {
    static let leaves: [[UInt8]] = [
        [], [0x00], [0x10], [0x20, 0x21], [0x30, 0x31], [0x40, 0x41, 0x42, 0x43],
        [0x50, 0x51, 0x52, 0x53, 0x54, 0x55, 0x56, 0x57], Hex.decode("606162636465666768696a6b6c6d6e6f")!,
    ]
    static let roots = [
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ]

    @Test("roots of sizes 0 to 8", arguments: 0...8)
    func root(size: Int) {
        var range = CompactRange()
        for leaf in Self.leaves.prefix(size) { range.append(TreeHasher.leafHash(leaf)) }
        #expect(range.root.hex == Self.roots[size])
    }

    @Test("the streaming root equals the recursive MTH of RFC 6962")
    func streamingEqualsRecursive() {
        var range = CompactRange()
        var leaves: [MerkleHash] = []
        for index in 0..<300 {
            let leaf = TreeHasher.leafHash(Array("leaf \(index)".utf8))
            leaves.append(leaf)
            range.append(leaf)
            #expect(range.root == RFC6962.mth(leaves[...]), "size \(index + 1)")
        }
    }

    @Test("a leaf cannot pose as a node: the prefixes differ")
    func domainSeparation() {
        let a = TreeHasher.leafHash([1]), b = TreeHasher.leafHash([2])
        var concatenated: [UInt8] = []
        a.withUnsafeBytes { concatenated += $0 }
        b.withUnsafeBytes { concatenated += $0 }
        #expect(TreeHasher.leafHash(concatenated) != TreeHasher.nodeHash(a, b))
        #expect(TreeHasher.nodeHash(a, b).bytes == Array(SHA256.hash(data: [1] + a.bytes + b.bytes)))
    }
}

/// The recursive definitions of RFC 6962 §2.1 / RFC 9162 §2.1.3.1 and §2.1.4.1, written
/// directly on hashes: the reference the library's range-based generator is compared with.
enum RFC6962 {
    static func k(_ n: Int) -> Int {
        var k = 1
        while k * 2 < n { k *= 2 }
        return k
    }

    static func mth(_ d: ArraySlice<MerkleHash>) -> MerkleHash {
        if d.isEmpty { return TreeHasher.emptyRoot }
        if d.count == 1 { return d.first! }
        let split = d.startIndex + k(d.count)
        return TreeHasher.nodeHash(mth(d[d.startIndex..<split]), mth(d[split...]))
    }

    static func path(_ m: Int, _ d: ArraySlice<MerkleHash>) -> [MerkleHash] {
        if d.count <= 1 { return [] }
        let split = k(d.count)
        let middle = d.startIndex + split
        if m < split { return path(m, d[d.startIndex..<middle]) + [mth(d[middle...])] }
        return path(m - split, d[middle...]) + [mth(d[d.startIndex..<middle])]
    }

    static func subproof(_ m: Int, _ d: ArraySlice<MerkleHash>, _ b: Bool) -> [MerkleHash] {
        if m == d.count { return b ? [] : [mth(d)] }
        let split = k(d.count)
        let middle = d.startIndex + split
        if m <= split { return subproof(m, d[d.startIndex..<middle], b) + [mth(d[middle...])] }
        return subproof(m - split, d[middle...], false) + [mth(d[d.startIndex..<middle])]
    }

    static func proof(_ m: Int, _ d: ArraySlice<MerkleHash>) -> [MerkleHash] {
        m == 0 || m == d.count ? [] : subproof(m, d, true)
    }
}
