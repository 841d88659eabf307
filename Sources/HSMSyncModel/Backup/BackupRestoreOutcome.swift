/// What happened to one bundle object in a restore.
public struct BackupRestoreOutcome: Sendable, Codable, Hashable {
    public enum Status: String, Sendable, Codable, Hashable {
        /// Staged, verified, promoted and proven.
        case restored
        /// Not restored: a check failed or the token refused; nothing of it is left on the token.
        case failed
    }

    public let key: KeyIdentity
    public var status: Status
    /// The bundle's fingerprint.
    public let fingerprint: Fingerprint
    /// How the key was proven (re-wrap equality, attribute read-back, fingerprint).
    public var proof: [String]
    /// For `failed`: why, and what was undone.
    public var detail: String?

    package init(key: KeyIdentity, status: Status, fingerprint: Fingerprint, proof: [String], detail: String?) {
        self.key = key
        self.status = status
        self.fingerprint = fingerprint
        self.proof = proof
        self.detail = detail
    }
}
