import HSMSyncModel

/// Why a line is not acceptable strict JSON: the byte offset and the rule broken.
public struct JSONSyntaxError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The byte offset within the line.
    public let offset: Int
    /// The rule broken.
    public let reason: String

    public init(offset: Int, reason: String) {
        self.offset = offset
        self.reason = reason
    }

    public var description: String { "byte \(offset): \(reason)" }
}
