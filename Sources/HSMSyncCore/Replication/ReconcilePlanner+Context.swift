import HSMSyncModel

extension ReconcilePlanner {
    /// What one plan decides a missing key from: each HSM's records and transport key, which HSMs'
    /// transport keys cannot be used and why, unreachable HSMs, identities in conflict.
    struct Context {
        let fleet: Fleet
        var records: [String: [KeyIdentity: [KeyRecord]]] = [:]
        var transports: [String: TransportKeyState] = [:]
        var trustedTransport: [String: Bool] = [:]
        var transportProblems: [String: String] = [:]
        /// Each HSM's capabilities from its scan (an HSM whose probe failed counts as SoftHSM2-like:
        /// the copy then fails on the token with its own error rather than being planned away).
        var capabilities: [String: TokenCapabilities] = [:]
        let unreachable: Set<String>
        let conflicted: Set<String>
        let order: [String: Int]

        init(fleet: Fleet, report: AuditReport, scans: [HSMScan]) {
            self.fleet = fleet
            for scan in scans {
                guard let inventory = scan.inventory else { continue }
                let name = scan.configuration.name
                transports[name] = inventory.transport
                capabilities[name] = inventory.capabilities ?? .complete
                for record in inventory.objects {
                    if record.label == fleet.transport.label {
                        trustedTransport[name] = record.attributes.trusted == true
                    }
                    records[name, default: [:]][record.identity, default: []].append(record)
                }
            }
            for finding in report.findings where [.transportMissing, .transportMismatch].contains(finding.kind) {
                transportProblems[finding.hsm] = finding.detail
            }
            for (name, state) in transports where transportProblems[name] == nil && !state.isUsable {
                transportProblems[name] = state.checkValueUnavailable ?? "the transport key is not usable"
            }
            unreachable = Set(report.findings.filter { $0.kind == .unreachable }.map(\.hsm))
            conflicted = Set(
                report.findings.filter { $0.kind == .materialMismatch }.compactMap {
                    $0.key.map { "\($0.label)\u{0}\($0.id)" }
                })
            order = Dictionary(uniqueKeysWithValues: fleet.hsms.enumerated().map { ($1.name, $0) })
        }

        enum Decision {
            case copy(ReconcilePlan.Copy)
            case skip([ReconcilePlan.Skip])
        }

        /// The copy for one destination's missing findings of one (label, id), or why none.
        func decide(_ findings: [Finding]) -> Decision? {
            let destination = findings[0].hsm
            let byClass = Dictionary(findings.compactMap { f in f.key.map { ($0.class, f) } }) { a, _ in a }
            let main = byClass["private-key"] ?? byClass["secret-key"] ?? byClass["public-key"] ?? findings[0]
            guard let summary = main.key else { return nil }
            let identity = KeyIdentity(objectClass: summary.class, label: summary.label, id: summary.id)
            func skip(_ reason: String, _ detail: String, source: String? = nil) -> Decision {
                .skip(
                    findings.compactMap { finding in
                        finding.key.map {
                            .init(key: $0, destination: destination, source: source, reason: reason, detail: detail)
                        }
                    })
            }
            if conflicted.contains("\(summary.label)\u{0}\(summary.id)") {
                return skip(
                    "conflict", "another HSM holds different material under this identity; resolve the conflict first")
            }
            if unreachable.contains(destination) { return skip("unreachable", "\(destination) could not be reached") }
            let isPublicOnly = identity.objectClass == "public-key"
            if !isPublicOnly, let problem = transportProblems[destination] {
                return skip("transport", "\(destination)'s transport key: \(problem)")
            }
            // Holders in the fleet's order: primaries first, then members; secondaries never propagate.
            let holders = fleet.hsms.filter { records[$0.name]?[identity] != nil && $0.role != .secondary }
                .sorted { a, b in
                    a.role != b.role ? a.role == .primary : (order[a.name] ?? 0) < (order[b.name] ?? 0)
                }
            guard !holders.isEmpty else { return skip("unsupported", "no primary or member holds it") }
            let usable = isPublicOnly ? holders : holders.filter { transportProblems[$0.name] == nil }
            guard let source = usable.first, let sourceRecords = records[source.name]?[identity] else {
                let problems = holders.map { "\($0.name): \(transportProblems[$0.name] ?? "?")" }
                return skip("transport", "no holder has a usable transport key (\(problems.joined(separator: "; ")))")
            }
            guard sourceRecords.count == 1, let record = sourceRecords.first else {
                return skip(
                    "duplicate", "\(sourceRecords.count) objects on \(source.name) share this identity",
                    source: source.name)
            }
            let sourceValue = transports[source.name]?.checkValue ?? ""
            if !isPublicOnly, let (reason, detail) = refusal(record, from: source.name, to: destination) {
                return skip(reason, detail, source: source.name)
            }
            let method = WrapNegotiation.negotiate(
                record.objectClass, keyType: record.keyType,
                from: (source.name, capabilities[source.name] ?? .complete),
                to: (destination, capabilities[destination] ?? .complete))
            guard case .method(let chosen) = method else {
                if case .impossible(let reason) = method { return skip("unsyncable", reason, source: source.name) }
                return nil
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
                    return skip(
                        "unsupported",
                        "an EC private key travels with its public key object, and \(source.name) has none",
                        source: source.name)
                }
            }
            return .copy(
                .init(
                    key: summary, identity: identity, publicKey: publicKey, publicKeyPresent: publicPresent,
                    source: source.name, destination: destination, fingerprint: record.fingerprint,
                    transportCheckValue: sourceValue, method: isPublicOnly ? nil : chosen))
        }

        /// Why a key holding secret material must not be wrapped from `source` to `destination`:
        /// (reason, detail), or `nil` when it may.
        private func refusal(_ record: KeyRecord, from source: String, to destination: String) -> (String, String)? {
            let sourceValue = transports[source]?.checkValue ?? ""
            let destinationValue = transports[destination]?.checkValue
            if destinationValue != sourceValue {
                return (
                    "transport",
                    "transport check values differ: \(source) \(sourceValue), \(destination) \(destinationValue ?? "unavailable")"
                )
            }
            if !record.isExtractable { return ("unsyncable", "CKA_EXTRACTABLE is false on \(source)") }
            if !["aes", "generic-secret", "rsa", "ec"].contains(record.keyType ?? "") {
                return (
                    "unsupported",
                    "\(record.keyType ?? "unknown") keys are not replicated (SoftHSM2 cannot wrap EdDSA keys)"
                )
            }
            if let violation = KeySeparation.violation(record) {
                return ("policy", "never copied: on \(source) \(violation)")
            }
            if fleet.policy.requireWrapWithTrusted && record.attributes.wrapWithTrusted != true {
                return ("policy", "CKA_WRAP_WITH_TRUSTED is not set and the fleet requires it")
            }
            if record.attributes.wrapWithTrusted == true && trustedTransport[source] != true {
                return (
                    "wrap-with-trusted",
                    "CKA_WRAP_WITH_TRUSTED is set and \(source)'s transport key is not CKA_TRUSTED, so the HSM will not wrap it"
                )
            }
            return nil
        }
    }
}
