import Foundation
import HSMSyncModel
import SignedLog

/// The printable record of one ceremony run, rendered from the signed log only (never from the
/// ceremony file, which may have changed since): steps, who did what and when, outputs and check
/// values, the run's final checkpoint (the first covering its last entry, also as PGP words), and
/// signature lines for the paper record.
///
/// The log is verified first; a log that does not verify is refused, never rendered.
public enum CeremonyTranscript {
    /// Renders the run `run` (default: the last ceremony opened in the log) as Markdown.
    ///
    /// - Throws: ``CeremonyError/logInvalid(_:)`` (exit 1) when the log does not verify,
    ///   ``CeremonyError/invalid(_:)`` when it holds no such run.
    public static func render(logDirectory: String, run requested: String? = nil) throws -> String {
        let report = try LogVerifier(directory: LogDirectory(path: logDirectory)).verify()
        guard report.isValid else {
            throw CeremonyError.logInvalid(report.primary.map { "\($0)" } ?? "unknown finding")
        }
        let entries = try CeremonyLogReader.entries(logDirectory: logDirectory)
        let opens = entries.filter { $0.action == AuditAction.ceremonyOpen.rawValue }
        guard let run = requested ?? opens.last?.ceremony else {
            throw CeremonyError.invalid("the log \(logDirectory) records no ceremony")
        }
        guard let open = opens.first(where: { $0.ceremony == run }) else {
            throw CeremonyError.invalid("the log \(logDirectory) records no ceremony run \(run)")
        }
        let mine = entries.filter { $0.ceremony == run }
        let detail = open.detail
        var out = header(open, run: run, report: report)
        let people = participants(detail)
        out += participantLines(people, detail: detail)
        out += stepLines(mine)
        out += try finalCheckpointLines(
            run: run, entries: entries, mine: mine, report: report, logDirectory: logDirectory)
        out += signatureLines(people)
        return out.joined(separator: "\n") + "\n"
    }

    private static func header(_ open: AuditEntry, run: String, report: VerificationReport) -> [String] {
        let detail = open.detail
        let rehearsal = detail["rehearsal"] == .bool(true)
        var out: [String] = []
        out.append("# Ceremony transcript: \(detail["name"]?.stringValue ?? run)")
        out.append("")
        if rehearsal {
            out.append("> **REHEARSAL** on throwaway tokens: no key of the real fleet was touched.")
            out.append("")
        }
        out.append("| | |")
        out.append("|---|---|")
        out.append("| Run | `\(run)` |")
        out.append("| Log origin | `\(report.origin)` |")
        out.append("| Log key (vkey) | `\(report.vkey)` |")
        if let script = open.fields["inputs"]?["script"]?.stringValue { out.append("| Ceremony file | `\(script)` |") }
        if let config = open.fields["inputs"]?["config"]?.stringValue { out.append("| Fleet file | `\(config)` |") }
        if let plan = detail["plan"]?.stringValue { out.append("| Plan digest | `\(plan)` |") }
        out.append("| Opened | \(open.time ?? "?") |")
        out.append("| Mode | \(detail["mode"]?.stringValue ?? "?") |")
        out.append("")

        return out
    }

    private static func participants(_ detail: [String: JSONValue]) -> [(String, String)] {
        var people: [(String, String)] = []
        guard let roles = detail["roles"]?.objectValue else { return people }
        if let master = roles["master"]?.stringValue { people.append((master, "master of ceremonies")) }
        for case .string(let name) in roles["custodians"]?.arrayValue ?? [] { people.append((name, "custodian")) }
        for case .string(let name) in roles["witnesses"]?.arrayValue ?? [] { people.append((name, "witness")) }
        return people
    }

    private static func participantLines(_ people: [(String, String)], detail: [String: JSONValue]) -> [String] {
        guard let roles = detail["roles"]?.objectValue else { return [] }
        var out = ["## Participants", "", "| Name | Role |", "|---|---|"]
        for (name, role) in people { out.append("| \(name) | \(role) |") }
        if let threshold = roles["threshold"]?.integerValue {
            out.append("")
            out.append("Custodian shares needed to rebuild the transport key: \(threshold).")
        }
        out.append("")
        return out
    }

    private static func stepLines(_ mine: [AuditEntry]) -> [String] {
        var out: [String] = []
        out.append("## Steps")
        out.append("")
        var number = 0
        for entry in mine {
            let actor = entry.actorID ?? "?"
            let role = entry.fields["actor"]?["role"]?.stringValue.map { " (\($0))" } ?? ""
            switch entry.action {
            case AuditAction.ceremonyStepBegin.rawValue:
                number += 1
                let title = entry.detail["title"]?.stringValue ?? ""
                out.append("### \(number). \(title) — `\(entry.step ?? "?")`")
                out.append("")
                out.append("- action `\(entry.detail["action"]?.stringValue ?? "?")`, by \(actor)\(role)")
                out.append("- began \(entry.time ?? "?") (entry \(entry.seq ?? -1))")
            case AuditAction.ceremonyStep.rawValue:
                out.append("- ended \(entry.time ?? "?") (entry \(entry.seq ?? -1)): **\(entry.result ?? "?")**")
                if let error = entry.detail["error"]?.stringValue {
                    out.append("- error: \(error.replacingOccurrences(of: "\n", with: " "))")
                }
                for (key, value) in entry.outputs.sorted(by: { $0.key < $1.key }) {
                    out.append("- \(key): \(render(value))")
                }
                out.append("")
            case AuditAction.ceremonyOpen.rawValue, AuditAction.ceremonyResume.rawValue:
                if entry.action == AuditAction.ceremonyResume.rawValue {
                    out.append("*Resumed \(entry.time ?? "?") by \(actor) (entry \(entry.seq ?? -1)).*")
                    out.append("")
                }
            default:
                var line = "  - \(entry.time ?? "?") — \(actor)\(role): `\(entry.action ?? "?")` \(entry.result ?? "")"
                if let statement = entry.detail["statement"]?.stringValue { line += " — “\(statement)”" }
                if let prompt = entry.detail["prompt"]?.stringValue {
                    line += " — asked “\(prompt.replacingOccurrences(of: "\n", with: " "))”"
                }
                if !entry.outputs.isEmpty {
                    line +=
                        " — "
                        + entry.outputs.sorted(by: { $0.key < $1.key }).map { "\($0.key) \(render($0.value))" }
                        .joined(separator: ", ")
                }
                out.append(line)
            }
        }
        out.append("")
        return out
    }

    private static func finalCheckpointLines(
        run: String, entries: [AuditEntry], mine: [AuditEntry], report: VerificationReport, logDirectory: String
    ) throws -> [String] {
        var out: [String] = []
        out.append("## Final checkpoint")
        out.append("")
        // The run's own final checkpoint: the first that covers its last entry, so the words match
        // what `ceremony run` printed at the close however much was logged after it.
        let lastEntry = UInt64(entries.lastIndex { $0.ceremony == run } ?? entries.count - 1)
        if let last = report.checkpoints.filter({ $0.size > lastEntry }).min(by: { $0.size < $1.size })
            ?? report.checkpoints.last
        {
            out.append("| | |")
            out.append("|---|---|")
            out.append("| Tree size | \(last.size) |")
            out.append("| Root (hex) | `\(last.rootHash.hex)` |")
            out.append("| Root (base64) | `\(last.rootHash.base64)` |")
            out.append("| Root (PGP words) | \(PGPWords.string(for: last.rootHash.bytes)) |")
            if !last.cosigners.isEmpty {
                out.append("| Cosigned by | \(last.cosigners.map(\.name).joined(separator: ", ")) |")
            }
        }
        let cosignatures = try verifiedCosignatures(mine, logDirectory: logDirectory)
        if !cosignatures.isEmpty {
            out.append("")
            out.append("Witness cosignatures (tlog-cosignature), each verified against its checkpoint:")
            out.append("")
            out += cosignatures.map { "- " + $0 }
        }
        out.append("")
        out.append("Verify with `hsmsync log verify \(logDirectory)`; read the root words aloud and compare.")
        out.append("")
        return out
    }

    private static func signatureLines(_ people: [(String, String)]) -> [String] {
        var out: [String] = []
        out.append("## Signatures")
        out.append("")
        out.append("By signing, each participant confirms that this transcript records what they saw.")
        out.append("")
        for (name, role) in people {
            out.append("\(name) (\(role))")
            out.append("")
            out.append("Signature: ______________________________  Date: ______________")
            out.append("")
        }
        return out
    }

    /// The cosignature sign-offs of the run, each checked: the checkpoint note it names carries a
    /// signature by the recorded witness key that verifies. One that does not is tampering.
    private static func verifiedCosignatures(_ entries: [AuditEntry], logDirectory: String) throws -> [String] {
        var lines: [String] = []
        for entry in entries where entry.action == AuditAction.ceremonySignOff.rawValue {
            guard entry.detail["method"]?.stringValue == "cosignature" else { continue }
            let witness = entry.actorID ?? "?"
            guard let size = entry.outputs["size"]?.integerValue, let vkeyText = entry.outputs["vkey"]?.stringValue,
                let key = try? VerifierKey(parsing: vkeyText),
                let bytes = FileManager.default.contents(
                    atPath: LogDirectory(path: logDirectory).checkpointNote(size: UInt64(size))),
                let note = try? SignedNote(parsing: Array(bytes)),
                let signature = note.signatures.first(where: { key.matches($0) }),
                key.verify(signature, text: note.textBytes)
            else {
                throw CeremonyError.logInvalid(
                    "the cosignature of \(witness) recorded at entry \(entry.seq ?? -1) is not on its checkpoint or "
                        + "does not verify")
            }
            lines.append("checkpoint \(size) cosigned by \(witness) (`\(key.description)`)")
        }
        return lines
    }

    private static func render(_ value: JSONValue) -> String {
        switch value {
        case .string(let text): return "`\(text)`"
        case .integer(let number): return "\(number)"
        case .bool(let flag): return "\(flag)"
        case .null: return "—"
        default: return "`" + String(decoding: CanonicalJSON.encode(value), as: UTF8.self) + "`"
        }
    }
}

extension JSONValue {
    /// The elements, when an array.
    var arrayValue: [JSONValue]? {
        if case .array(let elements) = self { elements } else { nil }
    }
}
