import Crypto
import Foundation
import HSMSyncModel
import SecureMemory

/// The digest share of SLIP-0039: at x = 254 the polynomials hold `D ‖ R`, where R is random and
/// D is the first 4 bytes of HMAC-SHA256(key: R, message: secret). Recovering it along with the
/// secret (x = 255) tells whether the shares were right.
enum SecretDigest {
    /// The digest share for `secret`, with random part `randomPart` (`secret.count - 4` bytes).
    static func digestShare(secret: borrowing SecretBytes, randomPart: borrowing SecretBytes) -> SecretBytes {
        let digest = digest(secret: secret, randomPart: randomPart)
        return randomPart.withUnsafeBytes { random in
            SecretBytes(capacity: SLIP39Format.digestByteCount + random.count) { buffer in
                digest.withUnsafeBytes { bytes in
                    buffer.copyMemory(from: bytes)
                }
                UnsafeMutableRawBufferPointer(rebasing: buffer[SLIP39Format.digestByteCount...]).copyMemory(
                    from: random)
                return SLIP39Format.digestByteCount + random.count
            }
        }
    }

    /// Whether `digestShare` is the digest share of `secret` (compared in constant time).
    static func verify(secret: borrowing SecretBytes, digestShare: borrowing SecretBytes) -> Bool {
        let randomPart = digestShare.withUnsafeBytes { bytes in
            SecretBytes(copying: UnsafeRawBufferPointer(rebasing: bytes[SLIP39Format.digestByteCount...]))
        }
        let expected = digest(secret: secret, randomPart: randomPart)
        return expected.withUnsafeBytes { computed in
            digestShare.withUnsafeBytes { stored in
                var difference: UInt8 = 0
                for k in 0..<SLIP39Format.digestByteCount {
                    difference |= computed[k] ^ stored[k]
                }
                return difference == 0
            }
        }
    }

    /// The first 4 bytes of HMAC-SHA256(key: randomPart, message: secret).
    private static func digest(secret: borrowing SecretBytes, randomPart: borrowing SecretBytes) -> SecretBytes {
        let key = randomPart.withUnsafeBytes { SymmetricKey(data: $0) }
        let code = secret.withUnsafeBytes { HMAC<SHA256>.authenticationCode(for: $0, using: key) }
        return SecretBytes(capacity: SLIP39Format.digestByteCount) { buffer in
            code.withUnsafeBytes { bytes in
                buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[..<SLIP39Format.digestByteCount]))
            }
            return SLIP39Format.digestByteCount
        }
    }
}
