import HSMSyncModel
import SLIP39
import SecureMemory

/// Random bytes drawn from an HSM in one call, handed out to the share splitter (which asks
/// synchronously, a few bytes at a time): the randomness is the HSM's, the round trips one.
final class PrefetchedRandom: RandomByteSource {
    struct Exhausted: Error, CustomStringConvertible {
        let hsm: String
        var description: String { "\(hsm): the randomness drawn for the share set ran out (an internal limit)" }
    }

    private let pool: SecretBytes
    private var used = 0
    private let hsm: String

    init(_ pool: consuming SecretBytes, hsm: String) {
        self.pool = pool
        self.hsm = hsm
    }

    func randomBytes(count: Int) throws -> SecretBytes {
        guard used + count <= pool.count else { throw Exhausted(hsm: hsm) }
        let start = used
        used += count
        return pool.withUnsafeBytes { bytes in
            SecretBytes(capacity: count) { target in
                target.copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[start..<(start + count)]))
                return count
            }
        }
    }
}
