public import HSMSyncModel
import SignedLog

/// Turns a parity audit into a ``ReconcilePlan`` (issue 5): each `missing` key is copied from a
/// holder — a primary first, else a member — to every HSM lacking it. Never a `material-mismatch`
/// (a conflict), never an `extra`, never an unsyncable key, never to or from an HSM whose transport
/// key is missing, breaks the rules or differs. Pure: no HSM is touched.
public struct ReconcilePlanner: Sendable {
    public let fleet: Fleet

    public init(fleet: Fleet) {
        self.fleet = fleet
    }

    /// Plans from the scans the audit `report` was computed from.
    public func plan(_ report: AuditReport, scans: [HSMScan]) -> ReconcilePlan {
        let context = Context(fleet: fleet, report: report, scans: scans)
        // Missing findings grouped by destination and (label, id): a private key and its public key go together.
        var groups: [String: [Finding]] = [:]
        for finding in report.findings where finding.kind == .missing {
            guard let key = finding.key else { continue }
            groups["\(finding.hsm)\u{0}\(key.label)\u{0}\(key.id)", default: []].append(finding)
        }
        var copies: [ReconcilePlan.Copy] = []
        var skipped: [ReconcilePlan.Skip] = []
        for (_, findings) in groups.sorted(by: { $0.key < $1.key }) {
            switch context.decide(findings) {
            case .copy(let copy): copies.append(copy)
            case .skip(let skips): skipped += skips
            case .none: break
            }
        }
        let order = context.order
        copies.sort { a, b in
            (order[a.source] ?? 0, order[a.destination] ?? 0, a.identity) < (
                order[b.source] ?? 0, order[b.destination] ?? 0, b.identity
            )
        }
        let (kept, ambiguous) = Self.withoutSharedIDs(copies, holdings: context.records)
        let conflicts = report.findings.filter { $0.kind == .materialMismatch }
        // Keys a destination's token cannot hold at all are left, and said so.
        let gaps = report.findings.filter { $0.kind == .capabilityGap }.compactMap { finding in
            finding.key.map {
                ReconcilePlan.Skip(
                    key: $0, destination: finding.hsm, source: finding.reference, reason: "unsyncable",
                    detail: finding.detail)
            }
        }
        return ReconcilePlan(copies: kept, skipped: skipped + ambiguous + gaps, conflicts: conflicts)
    }

    /// Copies that would leave their destination with two keys of one class under one `CKA_ID`
    /// (another label) are skipped as `duplicate`: applications that find keys by `CKA_ID` — most
    /// CAs do — could then pick either. The first copy in plan order goes; the later ones wait for
    /// the operator to resolve the shared `CKA_ID` (the audit reports it as a `policy` finding).
    static func withoutSharedIDs(_ copies: [ReconcilePlan.Copy], holdings: [String: [KeyIdentity: [KeyRecord]]])
        -> (kept: [ReconcilePlan.Copy], skipped: [ReconcilePlan.Skip])
    {
        var taken: [String: String] = [:]  // destination, class, id → label
        func slot(_ hsm: String, _ identity: KeyIdentity) -> String? {
            guard identity.objectClass != "public-key", !identity.id.isEmpty else { return nil }
            return "\(hsm)\u{0}\(identity.objectClass)\u{0}\(identity.id)"
        }
        for (hsm, identities) in holdings {
            for identity in identities.keys {
                if let slot = slot(hsm, identity) { taken[slot] = identity.label }
            }
        }
        var kept: [ReconcilePlan.Copy] = []
        var skipped: [ReconcilePlan.Skip] = []
        var skippedPairs: Set<String> = []
        for copy in copies {
            if let slot = slot(copy.destination, copy.identity) {
                if let holder = taken[slot], holder != copy.identity.label {
                    skippedPairs.insert("\(copy.destination)\u{0}\(copy.identity.label)\u{0}\(copy.identity.id)")
                    skipped.append(
                        .init(
                            key: copy.key, destination: copy.destination, source: copy.source, reason: "duplicate",
                            detail:
                                "\(copy.destination) would hold two \(copy.identity.objectClass)s with CKA_ID "
                                + "\(copy.identity.id) (\"\(holder)\" and \"\(copy.identity.label)\"): resolve the shared "
                                + "CKA_ID first"))
                    continue
                }
                taken[slot] = copy.identity.label
            }
            kept.append(copy)
        }
        // A public key alone follows its private key's fate.
        kept.removeAll { copy in
            guard copy.isPublicKeyOnly,
                skippedPairs.contains("\(copy.destination)\u{0}\(copy.identity.label)\u{0}\(copy.identity.id)")
            else { return false }
            skipped.append(
                .init(
                    key: copy.key, destination: copy.destination, source: copy.source, reason: "duplicate",
                    detail: "its private key is not copied: its CKA_ID \(copy.identity.id) is shared"))
            return true
        }
        return (kept, skipped)
    }
}
