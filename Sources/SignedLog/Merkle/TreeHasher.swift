import Crypto
import HSMSyncModel

/// RFC 6962 §2.1 hashing (= RFC 9162 §2.1): a leaf is `SHA-256(0x00 ‖ data)`, an interior node
/// `SHA-256(0x01 ‖ left ‖ right)`, the empty tree `SHA-256("")`. The prefixes stop a leaf from
/// posing as a node.
public enum TreeHasher {
    /// `MTH({})`, the root of the empty tree.
    public static let emptyRoot = SHA256.hash(data: [UInt8]()).withUnsafeBytes { MerkleHash(copying: $0) }

    /// The leaf hash of `data` (for the log: the bytes of one line without its `\n`).
    public static func leafHash(_ data: some Collection<UInt8>) -> MerkleHash {
        if let hash = data.withContiguousStorageIfAvailable({ leafHash(UnsafeRawBufferPointer($0)) }) {
            return hash
        }
        return Array(data).withUnsafeBytes { leafHash($0) }
    }

    /// The leaf hash of the bytes in `data`.
    public static func leafHash(_ data: UnsafeRawBufferPointer) -> MerkleHash {
        var hasher = SHA256()
        withUnsafeBytes(of: UInt8(0)) { hasher.update(bufferPointer: $0) }
        hasher.update(bufferPointer: data)
        return hasher.finalize().withUnsafeBytes { MerkleHash(copying: $0) }
    }

    /// The interior node over `left` and `right`.
    public static func nodeHash(_ left: MerkleHash, _ right: MerkleHash) -> MerkleHash {
        withUnsafeTemporaryAllocation(byteCount: 65, alignment: 8) { buffer in
            buffer[0] = 1
            left.withUnsafeBytes { UnsafeMutableRawBufferPointer(rebasing: buffer[1..<33]).copyMemory(from: $0) }
            right.withUnsafeBytes { UnsafeMutableRawBufferPointer(rebasing: buffer[33..<65]).copyMemory(from: $0) }
            return SHA256.hash(data: UnsafeRawBufferPointer(buffer)).withUnsafeBytes {
                MerkleHash(copying: $0)
            }
        }
    }
}
