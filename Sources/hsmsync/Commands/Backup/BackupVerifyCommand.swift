import ArgumentParser
import HSMSyncCore
import HSMSyncModel
import SignedLog

/// `hsmsync backup verify FILE [--vkey FILE] [--json]`: no HSM, no fleet.
struct BackupVerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check a bundle without any HSM: structure, version, signature, internal consistency.",
        discussion: """
            Exit 0: the bundle is intact (and, with --vkey, signed by that key). Exit 1: it was changed or is \
            inconsistent (the message gives the byte offset). Exit 2: not a bundle, truncated, unreadable, or a \
            newer format version. Without --vkey the signature is checked against the signer's key embedded in \
            the bundle, which proves integrity but not who signed: pass the fleet's vkey to prove that too.

            Example: hsmsync backup verify backups/primary-1.hsmbackup --vkey backup.vkey
            """
    )

    @Argument(help: ArgumentHelp("The bundle.", valueName: "file"))
    var file: String

    @Option(
        name: .long,
        help: ArgumentHelp("The verifier key (vkey text) the bundle must be signed with.", valueName: "file"))
    var vkey: String?

    @OptionGroup var output: OutputOptions

    func run() async throws {
        let trusted = try vkey.map { try BackupSigning.readVerifierKey($0) }
        do {
            let bundle = try BackupCodec.load(file, trusted: trusted)
            if output.json {
                try JSONOutput.print(BackupVerifyReport(file: file, bundle: bundle))
            } else {
                BackupRenderer.renderVerified(bundle, path: file)
            }
        } catch let error as BackupFormatError {
            if output.json {
                try JSONOutput.print(BackupVerifyReport(file: file, error: error))
                throw ExitStatus(error.category).exitCode
            }
            throw error
        }
    }
}

/// `backup verify --json`.
struct BackupVerifyReport: Encodable {
    var file: String
    /// `ok`, `damaged` (exit 1) or `invalid` (exit 2).
    var status: String
    var size: Int?
    var sha256: String?
    var signer: String?
    /// Whether the signer was checked against `--vkey`.
    var pinned: Bool?
    var manifest: BackupManifest?
    var keys: [Key]?
    var objects: [Object]?
    var excluded: [BackupExclusion]?
    var error: Problem?

    struct Key: Encodable {
        var key: KeyIdentity
        var keyType: KeyAlgorithm?
        var bits: Int?
        var curve: String?
        var mechanism: MechanismName
        var wrappedLength: Int
        var fingerprint: Fingerprint
    }

    struct Object: Encodable {
        var key: KeyIdentity
        var keyType: KeyAlgorithm?
        var fingerprint: Fingerprint
    }

    struct Problem: Encodable {
        var offset: Int?
        var message: String
    }

    init(file: String, bundle: VerifiedBackup) {
        self.file = file
        status = "ok"
        size = bundle.size
        sha256 = bundle.sha256
        signer = bundle.signer.description
        pinned = bundle.pinned
        manifest = bundle.content.manifest
        keys = bundle.content.keys.map {
            Key(
                key: $0.template.identity, keyType: $0.template.keyType, bits: $0.bits, curve: $0.curve,
                mechanism: $0.mechanism, wrappedLength: $0.wrappedLength, fingerprint: $0.fingerprint)
        }
        objects = bundle.content.objects.map {
            Object(key: $0.template.identity, keyType: $0.template.keyType, fingerprint: $0.fingerprint)
        }
        excluded = bundle.content.excluded
    }

    init(file: String, error: BackupFormatError) {
        self.file = file
        status = error.category == .integrity ? "damaged" : "invalid"
        self.error = Problem(offset: error.offset, message: error.description)
    }
}
