import Glibc
public import HSMSyncModel

/// A failed system call on a log, key or state file: the call, the path and `errno`.
///
/// A missing file is invalid input (exit 2); every other failure is a runtime failure (exit 3).
/// An `fsync`/`fdatasync` failure is never retried (AUDIT-LOG.md §5.3): dirty pages may be gone.
public struct LogIOError: CategorizedError, Hashable, Sendable {
    /// The system call, e.g. `fdatasync`.
    public let operation: String
    /// The file or directory.
    public let path: String
    /// The `errno` value.
    public let code: Int32

    public init(_ operation: String, path: String, code: Int32) {
        self.operation = operation
        self.path = path
        self.code = code
    }

    /// The failure of `operation` just now, with the current `errno`.
    init(_ operation: String, path: String) {
        self.init(operation, path: path, code: errno)
    }

    public var category: FailureCategory { code == ENOENT ? .invalidInput : .runtime }

    public var description: String {
        let message = String(cString: strerror(code))
        return "\(operation)(\(path)): \(message) (errno \(code))"
    }
}
