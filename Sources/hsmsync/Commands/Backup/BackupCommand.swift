import ArgumentParser

/// `hsmsync backup …`: signed, verifiable backups of an HSM's keys and their restore.
struct BackupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Back up an HSM's keys into a signed bundle, verify it, restore it, drill the restore.",
        discussion: """
            Keys are wrapped under the fleet's backup key (the transport key unless backup.key-label is set) and \
            the bundle is signed by the audit log's key (or backup.signing-key). See docs/backup-format.md and \
            docs/runbooks/restore-secondary.md.

            Example: hsmsync backup create --fleet fleet.yaml --hsm primary-1 --out backups/primary-1.hsmbackup
            """,
        subcommands: [
            BackupCreateCommand.self, BackupVerifyCommand.self, BackupRestoreCommand.self, BackupDrillCommand.self,
        ]
    )
}
