/// The fleet file's optional `backup:` section: which key backups are wrapped under, and which key
/// signs them.
///
/// DESIGN.md's decision: backups are wrapped under the transport key unless a distinct backup key
/// label is configured (recommended for high assurance, SECURITY.md R22); they are signed by the
/// audit log's key unless a backup signing key is named here.
public struct BackupSettings: Sendable, Hashable {
    /// Label of a distinct backup key in every HSM that takes or restores backups; `nil`: the
    /// transport key.
    public let keyLabel: String?
    /// A key that signs bundles instead of the log key (same forms as `log.key`).
    public let signingKey: LogSettings.LogKey?
    /// The verifier key (vkey text file) that bundles must be signed with, for `restore` and
    /// `drill` at a site that cannot reach the signing key.
    public let verifierKeyPath: String?

    public init(keyLabel: String? = nil, signingKey: LogSettings.LogKey? = nil, verifierKeyPath: String? = nil) {
        self.keyLabel = keyLabel
        self.signingKey = signingKey
        self.verifierKeyPath = verifierKeyPath
    }
}

extension Fleet {
    /// The label of the key backups are wrapped under: `backup.key-label`, else the transport key's.
    public var backupKeyLabel: String {
        backup.keyLabel ?? transport.label
    }
}
