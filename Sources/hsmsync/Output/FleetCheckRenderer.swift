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
            let verdict = hsm.error == nil ? "ok" : (hsm.reachable ? "FAILED" : "UNREACHABLE")
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
            if let transport = hsm.transportKey {
                let detail = transport.state == "ambiguous" ? " (\(transport.objects) objects carry this label)" : ""
                Console.out("  transport   \"\(transport.label)\": \(transport.state)\(detail)")
            }
            if let error = hsm.error {
                Console.out("  error       \(error)")
            }
        }
    }
}
