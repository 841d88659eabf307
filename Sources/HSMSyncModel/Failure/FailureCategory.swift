/// What kind of failure an error is, which decides the process exit code (DESIGN.md):
/// `1` integrity or drift, `2` invalid input or usage, `3` HSM or runtime failure.
public enum FailureCategory: Sendable, Hashable {
    /// Tampering, a failed signature, a broken chain: exit 1.
    case integrity
    /// Bad YAML, an unknown key, a missing file, a bad share: exit 2. Nothing was changed.
    case invalidInput
    /// An HSM unreachable, a PKCS#11 error, an I/O failure: exit 3.
    case runtime
}

/// An error that knows its ``FailureCategory``. Every error type of HSMSyncCore conforms; the
/// command line maps categories to exit codes in one place.
public protocol CategorizedError: Error, CustomStringConvertible {
    var category: FailureCategory { get }
}
