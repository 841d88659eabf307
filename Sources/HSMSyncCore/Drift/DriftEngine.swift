public import Foundation
public import HSMSyncModel
import SignedLog

/// Compares the inventories of a fleet and reports drift, following DESIGN.md's role semantics:
/// a primary is authoritative; a key found only on members must reach every HSM; a key found only
/// on secondaries is `extra`. Identity is class + label + `CKA_ID`; material is compared by
/// fingerprint, never by reading a secret. Pure logic: no HSM is touched here.
public struct DriftEngine: Sendable {
    public let fleet: Fleet
    /// Count `policy` findings towards the status (and the exit code).
    public let strictPolicy: Bool

    public init(fleet: Fleet, strictPolicy: Bool = false) {
        self.fleet = fleet
        self.strictPolicy = strictPolicy
    }

    /// `policy` findings for keys of one class that share a `CKA_ID` under different labels on one
    /// HSM: whoever finds keys by `CKA_ID` may pick either (reconcile never spreads the ambiguity).
    static func sharedIDs(_ byIdentity: [KeyIdentity: [KeyRecord]], hsm: String) -> [Finding] {
        let keys = byIdentity.filter { $0.key.objectClass != "public-key" && !$0.key.id.isEmpty }
        let groups = Dictionary(grouping: keys.keys) { "\($0.objectClass)\u{0}\($0.id)" }
        return groups.values.filter { $0.count > 1 }.sorted { $0[0].id < $1[0].id }.flatMap { identities in
            let sorted = identities.sorted()
            let labels = sorted.map { "\"\($0.label)\"" }.joined(separator: ", ")
            return sorted.map { identity in
                Finding(
                    kind: .policy, hsm: hsm, key: KeySummary(byIdentity[identity]![0]),
                    detail:
                        "CKA_ID \(identity.id) is shared by \(sorted.count) \(identity.objectClass)s (\(labels)): "
                        + "applications that find keys by CKA_ID may pick either; give each key its own")
            }
        }
    }

    public func evaluate(_ scans: [HSMScan], generatedAt: Date = Date(), durationSeconds: Double = 0) -> AuditReport {
        var evaluation = Evaluation()
        let reachable = scans.compactMap { scan in scan.inventory.map { (scan.configuration, $0) } }
        for scan in scans {
            if let error = scan.error {
                evaluation.findings.append(
                    Finding(
                        kind: .unreachable, hsm: scan.configuration.name, detail: error.reason,
                        nextStep: error.nextStep))
            }
        }
        for (configuration, inventory) in reachable {
            collect(inventory, of: configuration, into: &evaluation)
        }
        evaluation.findings += transportFindings(reachable)
        let unreachableAuthority = scans.contains { $0.error != nil && $0.configuration.role != .secondary }
        for identity in Set(evaluation.holdings.values.flatMap(\.keys)).sorted() {
            compare(identity, among: reachable.map(\.0), unreachableAuthority: unreachableAuthority, into: &evaluation)
        }
        return report(
            evaluation, scans: scans, generatedAt: generatedAt, durationSeconds: durationSeconds)
    }

    /// What an evaluation has found so far.
    struct Evaluation {
        var findings: [Finding] = []
        var oddObjects: [AuditReport.OddObject] = []
        var notCompared: [AuditReport.NotCompared] = []
        /// Each reachable HSM's comparable keys by identity.
        var holdings: [String: [KeyIdentity: [KeyRecord]]] = [:]
        var inScopeCounts: [String: Int] = [:]
        /// Each HSM's capabilities, as probed with its scan.
        var capabilities: [String: TokenCapabilities] = [:]
        /// The key attributes each HSM's token refuses on token objects.
        var refusedAttributes: [String: Set<AttributeName>] {
            capabilities.mapValues(\.refused)
        }
    }

    /// One HSM's comparable keys by identity; odd objects, policy problems, duplicates and shared
    /// `CKA_ID`s on the way.
    private func collect(
        _ inventory: TokenInventory, of configuration: HSMConfiguration, into evaluation: inout Evaluation
    ) {
        var byIdentity: [KeyIdentity: [KeyRecord]] = [:]
        for record in inventory.objects {
            guard !fleet.isInfrastructure(label: record.label), fleet.keys.contains(label: record.label ?? "") else {
                continue
            }
            if record.isOdd {
                evaluation.oddObjects.append(
                    .init(hsm: configuration.name, key: KeySummary(record), reasons: record.oddities))
                continue
            }
            byIdentity[record.identity, default: []].append(record)
            let problems = PolicyLint.problems(record)
            if !problems.isEmpty {
                evaluation.findings.append(
                    Finding(
                        kind: .policy, hsm: configuration.name, key: KeySummary(record),
                        detail: problems.joined(separator: "; ")))
            }
        }
        for (identity, records) in byIdentity where records.count > 1 {
            let prints = records.map { $0.fingerprint.digest.map { String($0.prefix(16)) } ?? "unavailable" }
            evaluation.findings.append(
                Finding(
                    kind: .duplicate, hsm: configuration.name, key: KeySummary(records[0]),
                    detail:
                        "\(records.count) objects share \(identity) (fingerprints: \(prints.joined(separator: ", ")))"))
        }
        evaluation.findings += Self.sharedIDs(byIdentity, hsm: configuration.name)
        evaluation.holdings[configuration.name] = byIdentity
        evaluation.capabilities[configuration.name] = inventory.capabilities
        for refused in inventory.capabilities?.refusedAttributes ?? [] {
            evaluation.findings.append(
                Finding(
                    kind: .policy, hsm: configuration.name,
                    detail:
                        "the token does not store \(refused.attribute) on token objects (\(refused.evidence)): the "
                        + "transport key and the keys copied here are made without it"))
        }
        evaluation.inScopeCounts[configuration.name] = byIdentity.values.reduce(0) { $0 + $1.count }
    }

    /// The findings of one status-ordered report.
    private func report(
        _ evaluation: Evaluation, scans: [HSMScan], generatedAt: Date, durationSeconds: Double
    ) -> AuditReport {
        var findings = evaluation.findings
        let order = Dictionary(uniqueKeysWithValues: fleet.hsms.enumerated().map { ($1.name, $0) })
        findings.sort { a, b in
            if a.kind != b.kind { return a.kind < b.kind }
            if a.hsm != b.hsm { return (order[a.hsm] ?? .max) < (order[b.hsm] ?? .max) }
            return (a.key?.label ?? "", a.key?.id ?? "", a.key?.class ?? "") < (
                b.key?.label ?? "", b.key?.id ?? "", b.key?.class ?? ""
            )
        }
        let status: AuditReport.Status =
            scans.contains { $0.error != nil }
            ? .error
            : findings.contains { $0.kind.breaksParity || strictPolicy } ? .drift : .parity
        var counts = Dictionary(uniqueKeysWithValues: Finding.Kind.allCases.map { ($0.rawValue, 0) })
        for finding in findings { counts[finding.kind.rawValue, default: 0] += 1 }
        let summaries = scans.map { scan in
            let configuration = scan.configuration
            return AuditReport.HSMSummary(
                name: configuration.name, role: configuration.role, site: configuration.site,
                reachable: scan.error == nil, state: scan.error?.state ?? "ok",
                objects: scan.inventory?.objects.count ?? 0,
                keysInScope: evaluation.inScopeCounts[configuration.name] ?? 0,
                token: scan.inventory?.token, transport: scan.inventory?.transport,
                findings: findings.filter { $0.hsm == configuration.name }.count, error: scan.error?.reason,
                scanSeconds: scan.inventory?.scanSeconds)
        }
        return AuditReport(
            fleet: fleet.name, status: status, generatedAt: generatedAt, durationSeconds: durationSeconds,
            hsms: summaries,
            findings: findings, counts: counts, oddObjects: evaluation.oddObjects, notCompared: evaluation.notCompared,
            strictPolicy: strictPolicy)
    }
}
