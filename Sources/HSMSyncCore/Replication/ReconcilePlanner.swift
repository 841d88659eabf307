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
        var records: [String: [KeyIdentity: [KeyRecord]]] = [:]
        var transports: [String: TransportKeyState] = [:]
        var trustedTransport: [String: Bool] = [:]
        for scan in scans {
            guard let inventory = scan.inventory else { continue }
            let name = scan.configuration.name
            transports[name] = inventory.transport
            for record in inventory.objects {
                if record.label == fleet.transport.label {
                    trustedTransport[name] = record.attributes.trusted == true
                }
                records[name, default: [:]][record.identity, default: []].append(record)
            }
        }
        var transportProblems: [String: String] = [:]
        for finding in report.findings where [.transportMissing, .transportMismatch].contains(finding.kind) {
            transportProblems[finding.hsm] = finding.detail
        }
        for (name, state) in transports where transportProblems[name] == nil && !state.isUsable {
            transportProblems[name] = state.checkValueUnavailable ?? "the transport key is not usable"
        }
        let unreachable = Set(report.findings.filter { $0.kind == .unreachable }.map(\.hsm))
        let conflicts = report.findings.filter { $0.kind == .materialMismatch }
        let conflicted = Set(conflicts.compactMap { $0.key.map { "\($0.label)\u{0}\($0.id)" } })
        let order = Dictionary(uniqueKeysWithValues: fleet.hsms.enumerated().map { ($1.name, $0) })

        // Missing findings grouped by destination and (label, id): a private key and its public key go together.
        var groups: [String: [Finding]] = [:]
        for finding in report.findings where finding.kind == .missing {
            guard let key = finding.key else { continue }
            groups["\(finding.hsm)\u{0}\(key.label)\u{0}\(key.id)", default: []].append(finding)
        }
        var copies: [ReconcilePlan.Copy] = []
        var skipped: [ReconcilePlan.Skip] = []
        for (_, findings) in groups.sorted(by: { $0.key < $1.key }) {
            let destination = findings[0].hsm
            let byClass = Dictionary(findings.compactMap { f in f.key.map { ($0.class, f) } }) { a, _ in a }
            let main = byClass["private-key"] ?? byClass["secret-key"] ?? byClass["public-key"] ?? findings[0]
            guard let summary = main.key else { continue }
            let identity = KeyIdentity(objectClass: summary.class, label: summary.label, id: summary.id)
            func skip(_ reason: String, _ detail: String, source: String? = nil) {
                for finding in findings {
                    guard let key = finding.key else { continue }
                    skipped.append(
                        .init(key: key, destination: destination, source: source, reason: reason, detail: detail))
                }
            }
            if conflicted.contains("\(summary.label)\u{0}\(summary.id)") {
                skip("conflict", "another HSM holds different material under this identity; resolve the conflict first")
                continue
            }
            if unreachable.contains(destination) {
                skip("unreachable", "\(destination) could not be reached")
                continue
            }
            let isPublicOnly = identity.objectClass == "public-key"
            if !isPublicOnly, let problem = transportProblems[destination] {
                skip("transport", "\(destination)'s transport key: \(problem)")
                continue
            }
            // Holders in the fleet's order: primaries first, then members; secondaries never propagate.
            let holders = fleet.hsms.filter { records[$0.name]?[identity] != nil && $0.role != .secondary }
                .sorted { a, b in
                    a.role != b.role ? a.role == .primary : (order[a.name] ?? 0) < (order[b.name] ?? 0)
                }
            guard !holders.isEmpty else {
                skip("unsupported", "no primary or member holds it")
                continue
            }
            let usable = isPublicOnly ? holders : holders.filter { transportProblems[$0.name] == nil }
            guard let source = usable.first, let sourceRecords = records[source.name]?[identity] else {
                let problems = holders.map { "\($0.name): \(transportProblems[$0.name] ?? "?")" }
                skip("transport", "no holder has a usable transport key (\(problems.joined(separator: "; ")))")
                continue
            }
            guard sourceRecords.count == 1, let record = sourceRecords.first else {
                skip(
                    "duplicate", "\(sourceRecords.count) objects on \(source.name) share this identity",
                    source: source.name)
                continue
            }
            let sourceValue = transports[source.name]?.checkValue ?? ""
            if !isPublicOnly {
                let destinationValue = transports[destination]?.checkValue
                if destinationValue != sourceValue {
                    skip(
                        "transport",
                        "transport check values differ: \(source.name) \(sourceValue), \(destination) \(destinationValue ?? "unavailable")",
                        source: source.name)
                    continue
                }
                if !record.isExtractable {
                    skip("unsyncable", "CKA_EXTRACTABLE is false on \(source.name)", source: source.name)
                    continue
                }
                if !["aes", "generic-secret", "rsa", "ec"].contains(record.keyType ?? "") {
                    skip(
                        "unsupported",
                        "\(record.keyType ?? "unknown") keys are not replicated (SoftHSM2 cannot wrap EdDSA keys)",
                        source: source.name)
                    continue
                }
                if let violation = KeySeparation.violation(record) {
                    skip("policy", "never copied: on \(source.name) \(violation)", source: source.name)
                    continue
                }
                if fleet.policy.requireWrapWithTrusted && record.attributes.wrapWithTrusted != true {
                    skip("policy", "CKA_WRAP_WITH_TRUSTED is not set and the fleet requires it", source: source.name)
                    continue
                }
                if record.attributes.wrapWithTrusted == true && trustedTransport[source.name] != true {
                    skip(
                        "wrap-with-trusted",
                        "CKA_WRAP_WITH_TRUSTED is set and \(source.name)'s transport key is not CKA_TRUSTED, so the HSM will not wrap it",
                        source: source.name)
                    continue
                }
            }
            var publicKey: KeyIdentity?
            var publicPresent = false
            if identity.objectClass == "private-key" {
                let candidate = KeyIdentity(objectClass: "public-key", label: identity.label, id: identity.id)
                if records[source.name]?[candidate]?.count == 1 {
                    publicKey = candidate
                    publicPresent = byClass["public-key"] == nil
                }
                if record.keyType == "ec" && publicKey == nil {
                    skip(
                        "unsupported",
                        "an EC private key travels with its public key object, and \(source.name) has none",
                        source: source.name)
                    continue
                }
            }
            copies.append(
                .init(
                    key: summary, identity: identity, publicKey: publicKey, publicKeyPresent: publicPresent,
                    source: source.name, destination: destination, fingerprint: record.fingerprint,
                    transportCheckValue: sourceValue))
        }
        copies.sort { a, b in
            (order[a.source] ?? 0, order[a.destination] ?? 0, a.identity) < (
                order[b.source] ?? 0, order[b.destination] ?? 0, b.identity
            )
        }
        let (kept, ambiguous) = Self.withoutSharedIDs(copies, holdings: records)
        return ReconcilePlan(copies: kept, skipped: skipped + ambiguous, conflicts: conflicts)
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
