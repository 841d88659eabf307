import Glibc

/// Which objects the fleet manages: shell globs on `CKA_LABEL` (`include`, then `exclude`).
public struct KeyScope: Sendable, Hashable {
    public let include: [String]
    public let exclude: [String]

    public init(include: [String] = ["*"], exclude: [String] = []) {
        self.include = include
        self.exclude = exclude
    }

    /// Whether an object with this label is in scope. An object without a label matches only a
    /// pattern that matches the empty string (`*`).
    public func contains(label: String) -> Bool {
        include.contains { Self.matches($0, label) } && !exclude.contains { Self.matches($0, label) }
    }

    private static func matches(_ pattern: String, _ label: String) -> Bool {
        fnmatch(pattern, label, 0) == 0
    }
}
