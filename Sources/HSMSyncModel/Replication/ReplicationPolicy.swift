/// What a fleet allows replication to do beyond SECURITY.md's fixed rules (fleet file `policy:`).
public struct ReplicationPolicy: Sendable, Hashable {
    /// Refuse keys without `CKA_WRAP_WITH_TRUSTED=true` instead of replicating them and reporting a
    /// `policy` finding (SECURITY.md R3).
    public var requireWrapWithTrusted: Bool

    public init(requireWrapWithTrusted: Bool = false) {
        self.requireWrapWithTrusted = requireWrapWithTrusted
    }
}
