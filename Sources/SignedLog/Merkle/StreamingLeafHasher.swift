import Crypto
import HSMSyncModel

/// A leaf hash computed over data that arrives in pieces.
struct StreamingLeafHasher {
    private var hasher = SHA256()

    init() {
        withUnsafeBytes(of: UInt8(0)) { hasher.update(bufferPointer: $0) }
    }

    mutating func update(_ part: UnsafeRawBufferPointer) {
        hasher.update(bufferPointer: part)
    }

    func finalize() -> MerkleHash {
        hasher.finalize().withUnsafeBytes { MerkleHash(copying: $0) }
    }
}
