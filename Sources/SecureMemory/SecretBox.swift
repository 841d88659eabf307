/// A shared, immutable reference to one ``SecretBytes``, so that several secrets can live in an
/// array or a dictionary (Swift collections cannot hold noncopyable values).
///
/// The box never copies the secret: every holder of the reference reads the same locked buffer,
/// which is wiped when the last reference goes away.
public final class SecretBox: Sendable {
    /// The boxed secret.
    public let bytes: SecretBytes

    /// Boxes `bytes`, taking ownership of them.
    public init(_ bytes: consuming SecretBytes) {
        self.bytes = bytes
    }

    /// The number of meaningful bytes in the boxed secret.
    public var count: Int { bytes.count }

    /// Lends the boxed secret's bytes for the duration of `body`.
    public func withUnsafeBytes<R: ~Copyable, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R
    {
        try bytes.withUnsafeBytes(body)
    }
}
