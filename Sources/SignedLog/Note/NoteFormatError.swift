public import HSMSyncModel

/// A signed note, vkey, private key text or checkpoint that does not follow its grammar.
public struct NoteFormatError: CategorizedError, Hashable, Sendable {
    /// What is wrong, for the operator.
    public let reason: String

    public init(_ reason: String) {
        self.reason = reason
    }

    public var category: FailureCategory { .invalidInput }
    public var description: String { reason }
}
