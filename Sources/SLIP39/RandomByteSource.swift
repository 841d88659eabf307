import HSMSyncModel
public import SecureMemory

/// Where the randomness of a new share set comes from: the identifier, the random polynomial
/// coefficients and the digest's random part.
///
/// In production this is the HSM's random generator (a `Session` calling `C_GenerateRandom`;
/// noncopyable sources are welcome). Tests use a deterministic source.
public protocol RandomByteSource: ~Copyable {
    /// Returns `count` random bytes in a new secret buffer.
    func randomBytes(count: Int) throws -> SecretBytes
}

/// The operating system's generator (`getrandom` on Linux), for tests and tools; production
/// ceremonies draw from the HSM.
public struct SystemRandomSource: RandomByteSource, Sendable {
    /// The system generator.
    public init() {}

    /// `count` bytes from `SystemRandomNumberGenerator`.
    public func randomBytes(count: Int) -> SecretBytes {
        SecretBytes(capacity: count) { buffer in
            var generator = SystemRandomNumberGenerator()
            var offset = 0
            while offset < count {
                var word = generator.next()
                withUnsafeBytes(of: &word) { bytes in
                    let n = min(bytes.count, count - offset)
                    UnsafeMutableRawBufferPointer(rebasing: buffer[offset..<offset + n])
                        .copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[..<n]))
                    offset += n
                }
                word = 0
            }
            return count
        }
    }
}
