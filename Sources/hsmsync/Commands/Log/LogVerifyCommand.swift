import ArgumentParser
import Foundation
import HSMSyncCore
import HSMSyncModel
import SignedLog

/// `hsmsync log verify DIR [--vkey FILE] [--policy FILE] [--trusted-checkpoint FILE]... [--strict] [--json]`.
struct LogVerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Verify a log offline: entries, chain, Merkle roots, signatures, witnesses, anchors.",
        discussion: """
            Exit 0: verified (warnings and "anchored: no" are printed on stderr and in the report). \
            Exit 1: an integrity failure, reported with its class and the first bad entry index \
            (UNSIGNED_TAIL and TIME_REGRESSION count as failures under --strict). Exit 2: a bad vkey \
            (BAD_VKEY), policy or trusted checkpoint, or a missing file. Exit 3: an I/O failure. \
            Without --vkey the key is read from DIR/log.vkey, which an attacker who rewrote the \
            directory controls: pass the vkey from the paper record.

            Example: hsmsync log verify audit-log --vkey paper-record.vkey --strict
            """
    )

    @Argument(help: "The log directory.")
    var directory: String

    @Option(name: .long, help: "The log's vkey (from the paper record; default DIR/log.vkey).")
    var vkey: String?

    @Option(name: .long, help: "A tlog-policy file (default DIR/policy if present).")
    var policy: String?

    @Option(name: .customLong("trusted-checkpoint"), help: "A trusted checkpoint note (auditor copy, witness state).")
    var trustedCheckpoints: [String] = []

    @Flag(name: .long, help: "Treat an unsigned tail, time regressions and checkpoint extension lines as failures.")
    var strict = false

    @Flag(name: .long, help: "Print one JSON document on stdout.")
    var json = false

    @Option(name: .long, help: "Threads examining entries in parallel (default: up to 4 cores).")
    var threads: Int?

    func run() async throws {
        let report: VerificationReport
        do {
            report = try LogVerifier(directory: LogDirectory(path: directory), options: try options()).verify()
        } catch let error as VerificationInputError {
            if json {
                printJSON([
                    "verdict": "error", "class": .string(error.class?.rawValue ?? "INPUT"),
                    "message": .string(error.message),
                ])
            }
            throw error
        } catch {
            if json {
                let invalidInput = (error as? any CategorizedError)?.category == .invalidInput
                printJSON([
                    "verdict": "error", "class": .string(invalidInput ? "INPUT" : "RUNTIME"),
                    "message": .string("\(error)"),
                ])
            }
            throw error
        }
        if json {
            printJSON(report.json)
        } else {
            for line in report.textLines { Console.out(line) }
        }
        for finding in report.findings where finding.severity == .warning {
            Console.error("warning: \(finding.class.rawValue): \(finding.message)")
        }
        if !report.anchored {
            Console.error("anchored: no — \(VerificationReport.unanchoredWarning)")
        }
        if !report.isValid {
            throw ExitCode(ExitStatus.driftOrIntegrityFailure.rawValue)
        }
    }

    private func options() throws -> VerificationOptions {
        let log = LogDirectory(path: directory)
        var options = VerificationOptions(strict: strict)
        if let threads { options.threads = threads }
        if let vkey {
            options.trustedKey = try readVerifierKey(vkey)
            options.trustedKeySource = vkey
        }
        let policyPath = policy ?? (LogFiles.exists(log.policy) ? log.policy : nil)
        if let policyPath {
            options.policy = try WitnessPolicy(parsing: LogFiles.read(policyPath))
        }
        options.trustedCheckpoints = try trustedCheckpoints.map { path in
            do {
                return VerificationOptions.TrustedCheckpoint(
                    source: path, note: try SignedNote(parsing: LogFiles.read(path)))
            } catch let error as NoteFormatError {
                throw LogInputError(message: "trusted checkpoint \(path): \(error.reason)")
            }
        }
        return options
    }
}

extension VerificationReport {
    /// The report for people.
    var textLines: [String] {
        var lines = [
            "origin          \(origin)",
            "vkey            \(vkey)",
            "vkey source     \(vkeySource)",
            "entries         \(entries)",
            "signed_prefix   \(signedPrefix)",
            "unsigned_tail   \(unsignedTail)",
            "ceremonies      opened \(ceremoniesOpened), closed \(ceremoniesClosed)",
        ]
        if let latest = checkpoints.last {
            lines.append(
                "checkpoints     \(checkpoints.count), latest size \(latest.size) root \(latest.rootHash.base64)")
            lines.append("root words      \(PGPWords.string(for: latest.rootHash.bytes))")
        } else {
            lines.append("checkpoints     none")
        }
        for checkpoint in checkpoints where !checkpoint.cosigners.isEmpty {
            let who = checkpoint.cosigners.map {
                "\($0.name) at \(RFC3339.milliseconds.string(seconds: Int64(clamping: $0.timestamp), nanoseconds: 0))"
            }
            lines.append("cosigned        \(checkpoint.size): \(who.joined(separator: ", "))")
        }
        if !quorumMetAt.isEmpty {
            lines.append("quorum_met_at   \(quorumMetAt.map(String.init).joined(separator: " "))")
        }
        if ignoredCosignatures > 0 {
            lines.append(
                "ignored         \(ignoredCosignatures) cosignature(s) by keys not in the policy (or no policy)")
        }
        if anchored {
            lines.append(
                "anchored: yes (by \(anchors.map { "\($0.source) at size \($0.size)" }.joined(separator: ", ")))")
        } else {
            lines.append("anchored: no — \(Self.unanchoredWarning)")
        }
        if let primary {
            lines.append(
                "verdict: INVALID — \(primary.class.rawValue)"
                    + (firstBadIndex.map { " at entry \($0)" } ?? "")
                    + (primary.checkpoint.map { " (checkpoint \($0))" } ?? ""))
        } else {
            lines.append("verdict: VALID")
        }
        for finding in findings {
            lines.append(
                "  \(finding.severity == .error ? "error" : "warning") \(finding.class.rawValue): \(finding.message)")
            for note in finding.notes {
                lines.append("    --- note (verbatim)")
                lines += note.split(separator: "\n", omittingEmptySubsequences: false).map { "    " + $0 }
            }
        }
        if omittedFindings > 0 { lines.append("  … and \(omittedFindings) more finding(s)") }
        return lines
    }

    /// The report as one JSON document.
    var json: JSONValue {
        func optional(_ value: UInt64?) -> JSONValue { value.map { .integer(Int64($0)) } ?? .null }
        let findingValues: [JSONValue] = findings.map { finding in
            .object([
                "class": .string(finding.class.rawValue), "severity": .string(finding.severity.rawValue),
                "index": optional(finding.index), "blame": optional(finding.blame),
                "checkpoint": optional(finding.checkpoint),
                "message": .string(finding.message), "notes": .array(finding.notes.map { .string($0) }),
            ])
        }
        let checkpointValues: [JSONValue] = checkpoints.map { checkpoint in
            .object([
                "size": .integer(Int64(checkpoint.size)), "root": .string(checkpoint.rootHash.base64),
                "cosigners": .array(
                    checkpoint.cosigners.map {
                        .object(["name": .string($0.name), "time": .integer(Int64($0.timestamp))])
                    }),
                "quorumMet": checkpoint.quorumMet.map { .bool($0) } ?? .null,
            ])
        }
        return .object([
            "verdict": .string(isValid ? "valid" : "invalid"),
            "class": primary.map { .string($0.class.rawValue) } ?? .null,
            "firstBadIndex": optional(firstBadIndex),
            "origin": .string(origin), "vkey": .string(vkey), "vkeySource": .string(vkeySource),
            "entries": .integer(Int64(entries)), "signedPrefix": .integer(Int64(signedPrefix)),
            "unsignedTail": .integer(Int64(unsignedTail)),
            "ceremonies": .object([
                "opened": .integer(Int64(ceremoniesOpened)), "closed": .integer(Int64(ceremoniesClosed)),
            ]),
            "quorumMetAt": .array(quorumMetAt.map { .integer(Int64($0)) }),
            "ignoredCosignatures": .integer(Int64(ignoredCosignatures)),
            "anchored": .bool(anchored),
            "anchoredBy": .array(
                anchors.map { .object(["source": .string($0.source), "size": .integer(Int64($0.size))]) }),
            "checkpoints": .array(checkpointValues),
            "findings": .array(findingValues), "omittedFindings": .integer(Int64(omittedFindings)),
        ])
    }
}
