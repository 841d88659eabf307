import ArgumentParser

/// `hsmsync log …`: the signed, tamper-evident audit log (AUDIT-LOG.md).
struct LogCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "log",
        abstract: "Create, write, verify, show and cosign the signed audit log.",
        discussion: """
            Entries are JSON lines chained by hash, the log is an RFC 6962 Merkle tree, checkpoints are \
            C2SP signed notes (Ed25519), witnesses cosign with C2SP tlog-cosignature. Verify exit codes: \
            0 valid, 1 integrity failure, 2 invalid input, 3 runtime failure.

            Example: hsmsync log verify /var/lib/hsmsync/audit-log --vkey paper-record.vkey
            """,
        subcommands: [
            LogInitCommand.self, LogKeygenCommand.self, LogNoteCommand.self, LogVerifyCommand.self,
            LogShowCommand.self, LogCosignCommand.self,
        ]
    )
}
