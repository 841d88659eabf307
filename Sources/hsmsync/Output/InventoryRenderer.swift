import Foundation
import HSMSyncCore
import HSMSyncModel
import SignedLog

/// The human form of an inventory: one table per HSM, flag columns in the spirit of p11ls.
enum InventoryRenderer {
    static func render(_ report: InventoryReport) {
        Console.out("Fleet \(report.fleet): inventory of \(report.hsms.count) HSM\(report.hsms.count == 1 ? "" : "s")")
        Console.out(
            "flags: x extractable, s sensitive, L generated in the token (local) / i imported, T wrap-with-trusted, m modifiable"
        )
        for hsm in report.hsms {
            Console.out()
            let site = hsm.site.isEmpty ? "" : ", \(hsm.site)"
            guard let token = hsm.token else {
                let state = hsm.state.uppercased().replacingOccurrences(of: "-", with: " ")
                Console.out("\(hsm.name) (\(hsm.role.rawValue)\(site)): \(state): \(hsm.error ?? "unknown error")")
                continue
            }
            Console.out(
                "\(hsm.name) (\(hsm.role.rawValue)\(site)): token \"\(token.label)\" serial \(token.serial), \(hsm.objectCount) object\(hsm.objectCount == 1 ? "" : "s")"
            )
            if let transport = hsm.transport {
                var line = "  transport key \"\(transport.label)\": \(transport.state)"
                if let checkValue = transport.checkValue { line += ", check value \(checkValue)" }
                if !transport.violations.isEmpty {
                    line += "; breaks the rules: " + transport.violations.joined(separator: "; ")
                }
                Console.out(line)
            }
            if hsm.vanished > 0 { Console.out("  \(hsm.vanished) object(s) vanished during the scan") }
            let rows = hsm.objects.sorted { a, b in
                (a.label ?? "", a.id ?? "", a.objectClass.rawValue) < (
                    b.label ?? "", b.id ?? "", b.objectClass.rawValue
                )
            }
            let header = ["CLASS", "TYPE", "SIZE", "FLAGS", "LABEL", "ID", "USAGE", "FINGERPRINT", "URI"]
            var table = [header]
            for record in rows {
                table.append([
                    shortClass(record.objectClass), record.keyType?.rawValue ?? "-",
                    record.size.map(String.init) ?? "-",
                    flags(record),
                    record.label ?? "(none)", record.id.map { $0.isEmpty ? "(none)" : $0 } ?? "(none)",
                    record.usage.isEmpty ? "-" : record.usage.joined(separator: ","), fingerprint(record),
                    record.uri ?? "-",
                ])
            }
            printTable(table, indent: "  ")
            let odd = rows.filter(\.isOdd)
            if !odd.isEmpty {
                Console.out("  odd objects (listed, never replicated):")
                for record in odd {
                    Console.out(
                        "    \(record.objectClass) \"\(record.label ?? "")\": \(record.oddities.joined(separator: "; "))"
                    )
                }
            }
        }
    }

    static func shortClass(_ kind: ObjectKind) -> String {
        switch kind {
        case .secretKey: return "secret"
        case .privateKey: return "private"
        case .publicKey: return "public"
        case .certificate: return "cert"
        default: return kind.rawValue
        }
    }

    static func flags(_ record: KeyRecord) -> String {
        let attributes = record.attributes
        func mark(_ value: Bool?, _ yes: Character, _ no: Character = "-") -> Character {
            value == true ? yes : no
        }
        let origin: Character = record.provenance.local == nil ? "-" : (record.provenance.local == true ? "L" : "i")
        return String([
            mark(attributes.extractable, "x"), mark(attributes.sensitive, "s"), origin,
            mark(attributes.wrapWithTrusted, "T"),
            mark(attributes.modifiable, "m"),
        ])
    }

    static func fingerprint(_ record: KeyRecord) -> String {
        switch record.fingerprint {
        case .available(let method, let sha256):
            let short: String
            switch method {
            case .subjectPublicKeyInfo: short = "spki"
            case .transportWrap: short = "wrap"
            case .cmac: short = "cmac"
            case .encryptZeroBlock: short = "ecb"
            case .value: short = "value"
            }
            return "\(short):\(sha256.prefix(16))"
        case .unavailable(let reason):
            return "unavailable (\(reason))"
        }
    }

    /// Left-aligned columns; the last column is not padded.
    static func printTable(_ rows: [[String]], indent: String) {
        guard let columns = rows.first?.count else { return }
        var widths = [Int](repeating: 0, count: columns)
        for row in rows {
            for (index, cell) in row.enumerated() where index < columns - 1 {
                widths[index] = max(widths[index], cell.count)
            }
        }
        for row in rows {
            var line = indent
            for (index, cell) in row.enumerated() {
                line +=
                    index < columns - 1 ? cell.padding(toLength: widths[index] + 2, withPad: " ", startingAt: 0) : cell
            }
            Console.out(line)
        }
    }
}
