import Glibc

/// Bytes that must never be copied, logged or left behind: PINs, custodian shares, a
/// reconstructed transport key.
///
/// The buffer is page-locked where the system allows it (so it is not swapped out) and its whole
/// capacity is wiped with `explicit_bzero` when the value ends. The type is noncopyable, not
/// `Codable` and has no `description`, so a secret cannot be duplicated or printed by accident.
///
/// > Important: Never move the contents into `[UInt8]`, `Data` or `String`; hand the bytes to
/// > PKCS#11 through ``withUnsafeBytes(_:)``.
public struct SecretBytes: ~Copyable, @unchecked Sendable {
    // Invariant: `storage` is owned by exactly one SecretBytes value (the type is noncopyable), so
    // no two threads can reach it at once; it is wiped and freed exactly once, in deinit.
    private let storage: UnsafeMutableRawBufferPointer
    private let locked: Bool
    /// The number of meaningful bytes (the capacity may be larger).
    public private(set) var count: Int

    /// Allocates `capacity` zeroed bytes and lets `initialize` fill them; `initialize` returns how
    /// many bytes it wrote. On a throw the buffer is wiped before the error propagates.
    public init<E: Error>(
        capacity: Int,
        initializingWith initialize: (UnsafeMutableRawBufferPointer) throws(E) -> Int
    ) throws(E) {
        let capacity = max(capacity, 1)
        storage = UnsafeMutableRawBufferPointer.allocate(byteCount: capacity, alignment: 16)
        storage.initializeMemory(as: UInt8.self, repeating: 0)
        locked = mlock(storage.baseAddress!, capacity) == 0
        count = 0
        count = min(max(try initialize(storage), 0), capacity)
    }

    /// Copies `bytes` into a new secret buffer. Meant for values that are already exposed (test
    /// vectors); production code fills the buffer in place with ``init(capacity:initializingWith:)``.
    public init(copying bytes: some Collection<UInt8>) {
        self.init(capacity: bytes.count) { buffer in
            buffer.copyBytes(from: bytes)
            return bytes.count
        }
    }

    /// Zero bytes of the given length, for the caller to fill with ``withUnsafeMutableBytes(_:)``.
    public init(zeroedCount: Int) {
        self.init(capacity: zeroedCount) { _ in zeroedCount }
    }

    deinit {
        explicit_bzero(storage.baseAddress!, storage.count)
        if locked {
            munlock(storage.baseAddress!, storage.count)
        }
        storage.deallocate()
    }

    /// Lends the secret's bytes for the duration of `body`.
    public func withUnsafeBytes<R: ~Copyable, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R
    {
        try body(UnsafeRawBufferPointer(rebasing: storage[0..<count]))
    }

    /// Lends the secret's bytes for in-place changes.
    public mutating func withUnsafeMutableBytes<R: ~Copyable, E: Error>(
        _ body: (UnsafeMutableRawBufferPointer) throws(E) -> R
    ) throws(E) -> R {
        try body(UnsafeMutableRawBufferPointer(rebasing: storage[0..<count]))
    }

    /// Shortens the secret, wiping the bytes beyond the new count (for example a trailing newline).
    public mutating func truncate(to newCount: Int) {
        guard newCount < count else { return }
        let tail = UnsafeMutableRawBufferPointer(rebasing: storage[max(newCount, 0)..<count])
        if let base = tail.baseAddress { explicit_bzero(base, tail.count) }
        count = max(newCount, 0)
    }

    /// A copy in a new locked buffer (explicit, never implicit).
    public func duplicate() -> SecretBytes {
        withUnsafeBytes { source in
            SecretBytes(capacity: source.count) { target in
                target.copyMemory(from: source)
                return source.count
            }
        }
    }

    /// Constant-time equality, for comparing reconstructed secrets without leaking where they differ.
    public func constantTimeEquals(_ other: borrowing SecretBytes) -> Bool {
        withUnsafeBytes { a in
            other.withUnsafeBytes { b in
                guard a.count == b.count else { return false }
                var difference: UInt8 = 0
                for index in 0..<a.count {
                    difference |= a[index] ^ b[index]
                }
                return difference == 0
            }
        }
    }
}
