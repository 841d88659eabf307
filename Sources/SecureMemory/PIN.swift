/// A token PIN, held in a wiped, page-locked buffer and consumed by the one login that uses it.
///
/// A `PIN` cannot be copied, printed or encoded. It is made from a ``SecretBytes`` that the caller
/// filled from an `env:`, `file:` or `prompt` source, and `Session.login(_:pin:)` consumes it.
public struct PIN: ~Copyable, Sendable {
    package let bytes: SecretBytes

    /// Wraps the secret bytes of a PIN.
    public init(_ bytes: consuming SecretBytes) {
        self.bytes = bytes
    }

    /// Builds a PIN from text that is already exposed: test fixtures and demo tokens only.
    public init(exposedForTesting text: String) {
        bytes = SecretBytes(copying: Array(text.utf8))
    }

    /// The PIN's length in bytes (PKCS#11 PINs are UTF-8).
    public var count: Int { bytes.count }
}
