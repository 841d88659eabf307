import HSMSyncModel

extension DriftEngine {
    /// Transport key findings: absent, ambiguous, breaking the KEK rules, or a check value that
    /// differs from the reference's (the first primary's, else the first member's, else the first HSM's).
    func transportFindings(_ reachable: [(HSMConfiguration, TokenInventory)]) -> [Finding] {
        var findings: [Finding] = []
        let withValue = reachable.filter { $0.1.transport.checkValue != nil && $0.1.transport.violations.isEmpty }
        let reference =
            withValue.first { $0.0.role == .primary } ?? withValue.first { $0.0.role == .member } ?? withValue.first
        let label = fleet.transport.label
        for (configuration, inventory) in reachable {
            let transport = inventory.transport
            if transport.objects == 0 {
                findings.append(
                    Finding(kind: .transportMissing, hsm: configuration.name, detail: "no object labelled \"\(label)\"")
                )
                continue
            }
            if transport.objects > 1 {
                findings.append(
                    Finding(
                        kind: .transportMismatch, hsm: configuration.name,
                        detail: "\(transport.objects) objects carry the transport label \"\(label)\" (only one may)"))
                continue
            }
            if !transport.violations.isEmpty {
                findings.append(
                    Finding(
                        kind: .transportMismatch, hsm: configuration.name,
                        detail: "the transport key " + transport.violations.joined(separator: "; ")))
                continue
            }
            if let reference, let value = transport.checkValue, let expected = reference.1.transport.checkValue,
                value != expected
            {
                findings.append(
                    Finding(
                        kind: .transportMismatch, hsm: configuration.name, reference: reference.0.name,
                        detail: "check value \(value) differs from \(reference.0.name)'s \(expected)"))
            }
        }
        return findings
    }
}
