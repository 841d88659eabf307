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
        var findings: [Finding] = []
        var oddObjects: [AuditReport.OddObject] = []
        var notCompared: [AuditReport.NotCompared] = []

        let reachable = scans.compactMap { scan in scan.inventory.map { (scan.configuration, $0) } }
        for scan in scans {
            if let error = scan.error {
                findings.append(Finding(kind: .unreachable, hsm: scan.configuration.name, detail: error.reason))
            }
        }

        // Each reachable HSM's comparable keys by identity; odd objects and policy on the way.
        var holdings: [String: [KeyIdentity: [KeyRecord]]] = [:]
        var inScopeCounts: [String: Int] = [:]
        for (configuration, inventory) in reachable {
            var byIdentity: [KeyIdentity: [KeyRecord]] = [:]
            for record in inventory.objects {
                guard !fleet.isInfrastructure(label: record.label), fleet.keys.contains(label: record.label ?? "")
                else {
                    continue
                }
                if record.isOdd {
                    oddObjects.append(.init(hsm: configuration.name, key: KeySummary(record), reasons: record.oddities))
                    continue
                }
                byIdentity[record.identity, default: []].append(record)
                let problems = PolicyLint.problems(record)
                if !problems.isEmpty {
                    findings.append(
                        Finding(
                            kind: .policy, hsm: configuration.name, key: KeySummary(record),
                            detail: problems.joined(separator: "; ")))
                }
            }
            for (identity, records) in byIdentity where records.count > 1 {
                let prints = records.map { $0.fingerprint.digest.map { String($0.prefix(16)) } ?? "unavailable" }
                findings.append(
                    Finding(
                        kind: .duplicate, hsm: configuration.name, key: KeySummary(records[0]),
                        detail:
                            "\(records.count) objects share \(identity) (fingerprints: \(prints.joined(separator: ", ")))"
                    ))
            }
            findings += Self.sharedIDs(byIdentity, hsm: configuration.name)
            holdings[configuration.name] = byIdentity
            inScopeCounts[configuration.name] = byIdentity.values.reduce(0) { $0 + $1.count }
        }

        findings += transportFindings(reachable)

        let unreachableAuthority = scans.contains { $0.error != nil && $0.configuration.role != .secondary }
        let identities = Set(holdings.values.flatMap(\.keys)).sorted()
        for identity in identities {
            let holders = reachable.filter { holdings[$0.0.name]?[identity] != nil }.map(\.0)
            guard
                let reference = holders.first(where: { $0.role == .primary })
                    ?? holders.first(where: { $0.role == .member })
            else {
                let caveat = unreachableAuthority ? " (an unreachable primary or member may hold it too)" : ""
                for holder in holders {
                    let record = holdings[holder.name]![identity]![0]
                    findings.append(
                        Finding(
                            kind: .extra, hsm: holder.name, key: KeySummary(record),
                            detail: "only secondaries hold it\(caveat)"))
                }
                continue
            }
            let referenceRecords = holdings[reference.name]![identity]!
            let referenceRecord = referenceRecords[0]
            let lacking = reachable.map(\.0).filter { holdings[$0.name]?[identity] == nil }
            for hsm in lacking {
                findings.append(
                    Finding(
                        kind: .missing, hsm: hsm.name, reference: reference.name, key: KeySummary(referenceRecord),
                        detail:
                            "on \(reference.name) (\(reference.role.rawValue)), not on \(hsm.name) (\(hsm.role.rawValue))"
                    ))
            }
            if !lacking.isEmpty && !referenceRecord.isExtractable {
                findings.append(
                    Finding(
                        kind: .unsyncable, hsm: reference.name, key: KeySummary(referenceRecord),
                        detail:
                            "CKA_EXTRACTABLE is false, so it cannot be wrapped to \(lacking.map(\.name).joined(separator: ", "))"
                    ))
            }
            for holder in holders where holder.name != reference.name {
                let records = holdings[holder.name]![identity]!
                guard records.count == 1, referenceRecords.count == 1 else { continue }  // duplicates reported above
                let record = records[0]
                switch (referenceRecord.fingerprint, record.fingerprint) {
                case (.available(let method, let expected), .available(let otherMethod, let actual))
                where method == otherMethod:
                    if expected != actual {
                        findings.append(
                            Finding(
                                kind: .materialMismatch, hsm: holder.name, reference: reference.name,
                                key: KeySummary(record),
                                detail:
                                    "\(method) fingerprints differ: \(reference.name) \(expected.prefix(16))…, \(holder.name) \(actual.prefix(16))…"
                            ))
                    }
                default:
                    notCompared.append(
                        .init(
                            hsm: holder.name, reference: reference.name, key: KeySummary(record),
                            reason: Self.incomparability(referenceRecord, reference.name, record, holder.name)))
                }
                let differences = AttributeComparison.differences(
                    reference: referenceRecord, referenceName: reference.name, other: record, otherName: holder.name)
                if !differences.isEmpty {
                    findings.append(
                        Finding(
                            kind: .attributeMismatch, hsm: holder.name, reference: reference.name,
                            key: KeySummary(record),
                            detail: differences.joined(separator: "; ")))
                }
            }
        }

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
                reachable: scan.error == nil,
                objects: scan.inventory?.objects.count ?? 0, keysInScope: inScopeCounts[configuration.name] ?? 0,
                token: scan.inventory?.token, transport: scan.inventory?.transport,
                findings: findings.filter { $0.hsm == configuration.name }.count, error: scan.error?.reason,
                scanSeconds: scan.inventory?.scanSeconds)
        }
        return AuditReport(
            fleet: fleet.name, status: status, generatedAt: generatedAt, durationSeconds: durationSeconds,
            hsms: summaries,
            findings: findings, counts: counts, oddObjects: oddObjects, notCompared: notCompared,
            strictPolicy: strictPolicy)
    }

    /// Transport key findings: absent, ambiguous, breaking the KEK rules, or a check value that
    /// differs from the reference's (the first primary's, else the first member's, else the first HSM's).
    private func transportFindings(_ reachable: [(HSMConfiguration, TokenInventory)]) -> [Finding] {
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

    private static func incomparability(_ a: KeyRecord, _ aName: String, _ b: KeyRecord, _ bName: String) -> String {
        switch (a.fingerprint, b.fingerprint) {
        case (.unavailable(let reason), _):
            return "no fingerprint on \(aName): \(reason)"
        case (_, .unavailable(let reason)):
            return "no fingerprint on \(bName): \(reason)"
        case (.available(.transportWrap(let x), _), .available(.transportWrap(let y), _)):
            return "wrapped under different transport keys (check values \(x) and \(y))"
        case (.available(let x, _), .available(let y, _)):
            return "fingerprinted differently (\(x) on \(aName), \(y) on \(bName))"
        }
    }
}
