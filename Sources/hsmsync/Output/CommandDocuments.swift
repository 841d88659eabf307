import HSMSyncCore
import HSMSyncModel
import SignedLog

/// The `--json` documents of commands that had only human output (issue 13 item 9): camelCase
/// keys, printed indented like every other report (docs/json-output.md).
enum CommandDocuments {
    /// `ceremony validate --json`.
    static func ceremonyValid(file: String, script: CeremonyScript, fleet: Fleet) -> JSONDocument {
        JSONDocument(
            .object([
                "file": .string(file), "ceremony": .string(script.name), "valid": .bool(true),
                "script": .string(script.digest.description),
                "scriptWords": .string(PGPWords.string(for: script.digest.bytes)),
                "fleet": .string(fleet.name), "fleetPath": .string(fleet.path),
                "steps": .integer(Int64(script.steps.count)),
            ]))
    }

    /// `ceremony plan --json`: every step with its checks (as the digest covers them), the problems.
    static func ceremonyPlan(_ plan: CeremonyPlan) -> JSONDocument {
        let steps: [JSONValue] = plan.steps.map { planned in
            .object([
                "number": .integer(Int64(planned.number)), "id": .string(planned.step.id),
                "title": .string(planned.step.title), "action": .string(planned.step.action.name),
                "done": .bool(planned.done), "checks": .array(planned.checks.map(\.canonicalValue)),
            ])
        }
        return JSONDocument(
            .object([
                "ceremony": .string(plan.script.name), "fleet": .string(plan.fleet.name),
                "rehearsal": .bool(plan.rehearsal), "digest": .string(plan.digest.description),
                "words": .string(plan.words), "steps": .array(steps),
                "problems": .array(plan.problems.map(JSONValue.string)),
            ]))
    }

    /// `log note --json`.
    static func logNote(_ receipt: AppendReceipt?, _ checkpoint: CheckpointReceipt?) -> JSONDocument {
        var document: [String: JSONValue] = [:]
        if let receipt {
            document["entry"] = .integer(Int64(receipt.seq))
            document["leafHash"] = .string(receipt.leafHash.hex)
        }
        if let checkpoint {
            document["checkpoint"] = .object([
                "size": .integer(Int64(checkpoint.size)), "rootBase64": .string(checkpoint.rootHash.base64),
                "rootWords": .string(PGPWords.string(for: checkpoint.rootHash.bytes)),
            ])
        }
        return JSONDocument(.object(document))
    }

    /// `transport create --json`: the generation (never a share) and the install.
    struct TransportCreated: Encodable {
        let generated: TransportKeyGenerationSummary
        let installed: TransportKeyInstallResult
        /// The share files written (`--out-dir`); empty when shown on the terminal.
        let files: [String]
    }

    /// `backup create --json`.
    struct BackupCreatedDocument: Encodable {
        let bundle: String
        let size: Int
        let sha256: String
        let signer: String
        let manifest: BackupManifest
        let keys: Int
        let objects: Int
        let excluded: [BackupExclusion]

        init(_ created: BackupCreated, path: String) {
            bundle = path
            size = created.bytes.count
            sha256 = created.digest.description
            signer = "\(created.signer)"
            manifest = created.content.manifest
            keys = created.content.keys.count
            objects = created.content.objects.count
            excluded = created.content.excluded
        }
    }

    /// `backup drill --json`.
    struct BackupDrillDocument: Encodable {
        let bundle: String
        let source: String
        let restorable: Bool
        /// When the bundle was proven restorable (Unix time); absent when this drill did not prove it.
        let verifiedAt: Int64?
        let proven: Int
        let comparisons: [BackupSourceComparison.Result]
        let restoreFailures: [BackupRestoreOutcome]

        init(_ outcome: BackupDrill.Outcome, bundle: String, source: String) {
            self.bundle = bundle
            self.source = source
            restorable = outcome.verifiedAt != nil
            verifiedAt = outcome.verifiedAt
            proven = outcome.proven
            comparisons = outcome.comparisons
            restoreFailures = outcome.restoreFailures
        }
    }
}
