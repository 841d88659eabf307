import ArgumentParser
import HSMSyncCore
import HSMSyncModel
import SignedLog

/// `hsmsync log note DIR --key FILE --text TEXT`, or `hsmsync log note --fleet F --text TEXT`.
struct LogNoteCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "note",
        abstract: "Record an operator's note and sign a checkpoint.",
        discussion: """
            Opening the log recovers a torn tail first; what was cut is reported on stderr and logged. \
            The log refuses to sign (exit 1) when it does not extend the last checkpoint this host signed, \
            recorded outside the log in $HSMSYNC_LOG_HEADS_DIR (default /var/lib/hsmsync/log-heads).

            Example: hsmsync log note --fleet fleet.yaml --text "tamper-evident bags checked"
            """
    )

    @Argument(help: "The log directory (not with --fleet).")
    var directory: String?

    @Option(name: .long, help: "The log key file.")
    var key: String?

    @Option(name: .long, help: ArgumentHelp("Use the fleet file's log: section (dir and key).", valueName: "file"))
    var fleet: String?

    @Option(name: .long, help: "The note, e.g. \"tamper-evident bags checked\".")
    var text: String

    @OptionGroup var actorOption: LogActorOption
    @OptionGroup var output: OutputOptions

    func validate() throws {
        guard (fleet == nil) == (directory != nil && key != nil), fleet == nil || (directory == nil && key == nil)
        else {
            throw ValidationError("give DIR and --key FILE, or --fleet FILE")
        }
    }

    func run() async throws {
        if let fleet {
            let loaded = try Fleet.load(from: fleet)
            guard loaded.log != nil else { throw ValidationError("\(fleet) has no log: section") }
            let trail = try await AuditTrail.open(
                for: loaded, actor: actorOption.auditActor, connector: Environment.shared.connector)
            if let adoption = await trail.headMarkAdoption { Self.reportAdoption(adoption) }
            let receipt = try await trail.record(.logNote, detail: ["text": .string(text)])
            let checkpoint = try await trail.checkpoint()
            try await trail.close()
            if output.json {
                try JSONOutput.print(CommandDocuments.logNote(receipt, checkpoint))
            } else {
                Console.out("note recorded as entry \(receipt?.seq ?? 0); checkpoint \(checkpoint?.size ?? 0) signed")
            }
            return
        }
        let signer = try FileKeySigner(path: key!)
        let log = try await AuditLog.open(
            directory: directory!, signer: signer, actor: actorOption.auditActor,
            configuration: AuditLog.Configuration(headMarks: .host, toolVersion: logToolVersion))
        if let adoption = await log.headMarkAdoption { Self.reportAdoption(adoption) }
        if let recovery = await log.recovery {
            if recovery.truncatedBytes > 0 {
                Console.error(
                    "recovered: cut \(recovery.truncatedBytes) torn byte(s) after entry \(recovery.lastGoodSeq) "
                        + "(\(recovery.reason ?? "")), saved to \(recovery.savedTo ?? "-"), logged as log.recovered")
            }
            if recovery.unsignedEntries > 0 {
                Console.error("signed \(recovery.unsignedEntries) entr(y/ies) that no checkpoint covered")
            }
        }
        let receipt = try await log.append(
            AuditEntryDraft(action: .logNote, actor: actorOption.auditActor, detail: ["text": .string(text)]))
        let checkpoint = try await log.checkpoint()
        try await log.close()
        if output.json {
            try JSONOutput.print(CommandDocuments.logNote(receipt, checkpoint))
            return
        }
        Console.out("entry       \(receipt.seq) \(receipt.leafHash.hex)")
        Console.out("checkpoint  size \(checkpoint.size) root \(checkpoint.rootHash.base64)")
        Console.out("root words  \(PGPWords.string(for: checkpoint.rootHash.bytes))")
    }

    static func reportAdoption(_ adoption: LogHeadAdoption) {
        Console.error(
            "no head mark for this log on this host: adopted checkpoint \(adoption.size) (trust on first use), "
                + "recorded in \(adoption.path)")
    }
}
