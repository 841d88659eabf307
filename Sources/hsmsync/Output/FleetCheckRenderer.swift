import Foundation
import HSMSyncCore
import HSMSyncModel
import SignedLog

/// The human form of a ``FleetCheckReport``.
enum FleetCheckRenderer {
    static func render(_ report: FleetCheckReport) {
        Console.out("Fleet \(report.fleet): \(report.hsms.count) HSM\(report.hsms.count == 1 ? "" : "s")")
        for hsm in report.hsms {
            Console.out()
            let site = hsm.site.isEmpty ? "" : ", \(hsm.site)"
            let verdict =
                hsm.error != nil ? (hsm.reachable ? "FAILED" : "UNREACHABLE") : hsm.degraded == nil ? "ok" : "DEGRADED"
            Console.out("\(hsm.name) (\(hsm.role.rawValue)\(site)): \(verdict)")
            Console.out("  module      \(hsm.module)\(hsm.server.map { " via p11-kit server \($0)" } ?? "")")
            if let token = hsm.token {
                Console.out(
                    "  token       \"\(token.label)\"  serial \(token.serial)  model \(token.model)  (\(token.manufacturer), firmware \(token.firmware))"
                )
            }
            Console.out("  login       \(hsm.login)")
            if !hsm.mechanisms.isEmpty {
                for mechanism in hsm.mechanisms {
                    let state: String
                    if !mechanism.available {
                        state = "missing"
                    } else {
                        state =
                            mechanism.flags.joined(separator: ",") + (mechanism.sufficient ? "" : "  (insufficient)")
                    }
                    let head = mechanism.name == hsm.mechanisms.first?.name ? "  mechanisms  " : "              "
                    Console.out(head + mechanism.name.padding(toLength: 22, withPad: " ", startingAt: 0) + state)
                }
            }
            if let capabilities = hsm.capabilities {
                renderCapabilities(capabilities)
            }
            if let transport = hsm.transportKey {
                let detail = transport.state == "ambiguous" ? " (\(transport.objects) objects carry this label)" : ""
                Console.out("  transport   \"\(transport.label)\": \(transport.state)\(detail)")
            }
            if let degraded = hsm.degraded {
                Console.out("  degraded    \(degraded)")
            }
            if let error = hsm.error {
                Console.out("  error       \(error)")
            }
        }
        if !report.pairs.isEmpty {
            Console.out()
            Console.out("Replication between HSMs (AES keys / RSA keys / EC keys):")
            for pair in report.pairs {
                let methods = [pair.aes, pair.rsa, pair.ec].map { $0 ?? "none" }.joined(separator: " / ")
                Console.out("  \(pair.hsms.joined(separator: " ↔ "))  \(methods)")
                for (kind, reason) in pair.impossible.sorted(by: { $0.key < $1.key }) {
                    Console.out("    \(kind): \(reason)")
                }
            }
        }
    }

    private static func renderCapabilities(_ capabilities: TokenCapabilities) {
        let methods = WrapMethod.allCases.compactMap { method in
            capabilities.mechanism(for: method).map { "\(method.rawValue) (\($0))" }
        }
        Console.out("  wraps with  \(methods.isEmpty ? "nothing hsmsync uses" : methods.joined(separator: ", "))")
        Console.out("  EC keys     \(capabilities.holdsEC ? "yes" : "no")")
        for refused in capabilities.refusedAttributes {
            Console.out("  refuses     \(refused.attribute) on token objects (\(refused.evidence))")
        }
        for note in capabilities.notes {
            Console.out("  note        \(note)")
        }
    }
}
