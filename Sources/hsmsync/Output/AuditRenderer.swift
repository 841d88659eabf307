import Foundation
import HSMSyncCore
import HSMSyncModel
import SignedLog

/// The human form of an ``AuditReport``: per-HSM counts, then findings grouped by kind, each kind
/// with the next step. Policy findings are summarised per HSM and rule (the full list is in `--json`
/// and `--out`).
enum AuditRenderer {
    /// Findings listed per kind on the terminal; reports carry them all.
    static let listLimit = 100

    static func render(_ report: AuditReport) {
        let verdict: String
        switch report.status {
        case .parity: verdict = "PARITY"
        case .drift: verdict = "DRIFT"
        case .error where report.record?.state == .failed:
            verdict = "ERROR (the audit could not be recorded in the signed log)"
        case .error: verdict = "ERROR (an HSM could not be audited)"
        }
        Console.out(
            "Fleet \(report.fleet): \(verdict) — \(report.hsms.count) HSMs audited in \(oneDecimal(report.durationSeconds)) s"
        )
        Console.out()
        var table = [["HSM", "ROLE", "SITE", "STATE", "OBJECTS", "IN SCOPE", "TRANSPORT", "FINDINGS"]]
        for hsm in report.hsms {
            let transport = hsm.transport.map { $0.checkValue.map { "present \($0)" } ?? $0.state } ?? "-"
            table.append([
                hsm.name, hsm.role.rawValue, hsm.site.isEmpty ? "-" : hsm.site,
                hsm.reachable ? "ok" : hsm.state.uppercased().replacingOccurrences(of: "-", with: " "),
                String(hsm.objects), String(hsm.keysInScope), transport, String(hsm.findings),
            ])
        }
        InventoryRenderer.printTable(table, indent: "  ")
        if let record = report.record, record.state == .failed {
            Console.out()
            Console.out("signed log: NOT RECORDED: \(record.error ?? "")")
            Console.out("  next step: fix the log (permissions, log.dir, log.key), then audit again; an audit that is")
            Console.out("  not in the log did not happen as far as the record is concerned")
        }

        for kind in Finding.Kind.allCases {
            let findings = report.findings.filter { $0.kind == kind }
            guard !findings.isEmpty else { continue }
            Console.out()
            let counted =
                kind == .policy && !report.strictPolicy ? " (not counted as drift without --strict-policy)" : ""
            Console.out("\(kind.rawValue): \(findings.count)\(counted)")
            // One next step for the kind, unless a finding has its own (a refused PIN is no network problem).
            let ownSteps = findings.contains { $0.nextStep != kind.nextStep }
            if !ownSteps { Console.out("  next step: \(kind.nextStep)") }
            if kind == .policy {
                renderPolicySummary(findings)
                continue
            }
            for finding in findings.prefix(listLimit) {
                Console.out("  - \(line(finding))")
                if ownSteps { Console.out("    next step: \(finding.nextStep)") }
            }
            if findings.count > listLimit {
                Console.out("  … \(findings.count - listLimit) more (all of them in --json and --out)")
            }
        }
        if !report.oddObjects.isEmpty {
            Console.out()
            Console.out("odd objects (listed, never compared or replicated): \(report.oddObjects.count)")
            for odd in report.oddObjects.prefix(50) {
                Console.out("  - \(odd.hsm): \(odd.key.displayName): \(odd.reasons.joined(separator: "; "))")
            }
            if report.oddObjects.count > 50 { Console.out("  … \(report.oddObjects.count - 50) more in --json") }
        }
        if !report.notCompared.isEmpty {
            Console.out()
            Console.out("material not compared (never counted as a mismatch): \(report.notCompared.count)")
            for entry in report.notCompared.prefix(20) {
                Console.out("  - \(entry.hsm) vs \(entry.reference): \(entry.key.displayName): \(entry.reason)")
            }
            if report.notCompared.count > 20 { Console.out("  … \(report.notCompared.count - 20) more in --json") }
        }
    }

    static func line(_ finding: Finding) -> String {
        var text = finding.hsm
        if let key = finding.key { text += ": \(key.displayName)" }
        return text + ": \(finding.detail)"
    }

    /// Policy findings by HSM and rule, with a few examples each.
    private static func renderPolicySummary(_ findings: [Finding]) {
        var byRule: [String: [Finding]] = [:]
        var order: [String] = []
        for finding in findings {
            for rule in finding.detail.components(separatedBy: "; ") {
                let key = "\(finding.hsm): \(rule)"
                if byRule[key] == nil { order.append(key) }
                byRule[key, default: []].append(finding)
            }
        }
        for key in order {
            let matches = byRule[key]!
            let examples = matches.prefix(3).compactMap { $0.key.map { "\"\($0.label)\"" } }.joined(separator: ", ")
            let more = matches.count > 3 ? ", …" : ""
            Console.out("  - \(key): \(matches.count) key\(matches.count == 1 ? "" : "s") (\(examples)\(more))")
        }
    }
}

/// A duration for human output: one decimal, two below one second.
func oneDecimal(_ value: Double) -> String {
    if value < 1 {
        let hundredths = Int((value * 100).rounded())
        return "0.\(hundredths < 10 ? "0" : "")\(hundredths)"
    }
    let tenths = Int((value * 10).rounded())
    return "\(tenths / 10).\(abs(tenths % 10))"
}
