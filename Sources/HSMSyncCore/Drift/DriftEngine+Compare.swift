import HSMSyncModel

extension DriftEngine {
    /// One identity across the fleet: against the reference (the first primary holding it, else the
    /// first member), every HSM lacking it is `missing`, every other holder compared by fingerprint
    /// and attributes; held by secondaries only, it is `extra`.
    func compare(
        _ identity: KeyIdentity, among hsms: [HSMConfiguration], unreachableAuthority: Bool,
        into evaluation: inout Evaluation
    ) {
        let holdings = evaluation.holdings
        let holders = hsms.filter { holdings[$0.name]?[identity] != nil }
        guard
            let reference = holders.first(where: { $0.role == .primary })
                ?? holders.first(where: { $0.role == .member })
        else {
            let caveat = unreachableAuthority ? " (an unreachable primary or member may hold it too)" : ""
            for holder in holders {
                let record = holdings[holder.name]![identity]![0]
                evaluation.findings.append(
                    Finding(
                        kind: .extra, hsm: holder.name, key: KeySummary(record),
                        detail: "only secondaries hold it\(caveat)"))
            }
            return
        }
        let referenceRecords = holdings[reference.name]![identity]!
        let referenceRecord = referenceRecords[0]
        var lacking = hsms.filter { holdings[$0.name]?[identity] == nil }
        // A token that cannot hold the key's type is not missing it: the gap is reported, not drift.
        lacking.removeAll { hsm in
            guard referenceRecord.keyType == "ec", evaluation.capabilities[hsm.name]?.holdsEC == false else {
                return false
            }
            evaluation.findings.append(
                Finding(
                    kind: .capabilityGap, hsm: hsm.name, reference: reference.name, key: KeySummary(referenceRecord),
                    detail:
                        "on \(reference.name), and \(hsm.name) cannot hold EC keys (its token offers neither "
                        + "CKM_EC_KEY_PAIR_GEN nor CKM_ECDSA)"))
            return true
        }
        for hsm in lacking {
            evaluation.findings.append(
                Finding(
                    kind: .missing, hsm: hsm.name, reference: reference.name, key: KeySummary(referenceRecord),
                    detail:
                        "on \(reference.name) (\(reference.role.rawValue)), not on \(hsm.name) (\(hsm.role.rawValue))"))
        }
        if !lacking.isEmpty && !referenceRecord.isExtractable {
            evaluation.findings.append(
                Finding(
                    kind: .unsyncable, hsm: reference.name, key: KeySummary(referenceRecord),
                    detail:
                        "CKA_EXTRACTABLE is false, so it cannot be wrapped to \(lacking.map(\.name).joined(separator: ", "))"
                ))
        }
        for holder in holders where holder.name != reference.name {
            let records = holdings[holder.name]![identity]!
            guard records.count == 1, referenceRecords.count == 1 else { continue }  // duplicates reported above
            compare(records[0], on: holder.name, with: referenceRecord, on: reference.name, into: &evaluation)
        }
    }

    /// One holder's copy against the reference's: material by fingerprint (when comparable),
    /// policy attribute by attribute.
    private func compare(
        _ record: KeyRecord, on holder: String, with referenceRecord: KeyRecord, on reference: String,
        into evaluation: inout Evaluation
    ) {
        switch (referenceRecord.fingerprint, record.fingerprint) {
        case (.available(let method, let expected), .available(let otherMethod, let actual)) where method == otherMethod:
            if expected != actual {
                evaluation.findings.append(
                    Finding(
                        kind: .materialMismatch, hsm: holder, reference: reference, key: KeySummary(record),
                        detail:
                            "\(method) fingerprints differ: \(reference) \(expected.prefix(16))…, \(holder) \(actual.prefix(16))…"
                    ))
            }
        default:
            evaluation.notCompared.append(
                .init(
                    hsm: holder, reference: reference, key: KeySummary(record),
                    reason: Self.incomparability(referenceRecord, reference, record, holder)))
        }
        let referenceRefuses = evaluation.refusedAttributes[reference] ?? []
        let holderRefuses = evaluation.refusedAttributes[holder] ?? []
        let differences = AttributeComparison.differences(
            reference: referenceRecord, referenceName: reference, other: record, otherName: holder,
            ignoring: referenceRefuses.union(holderRefuses))
        let weaker = AttributeComparison.weakenings(reference: referenceRecord, other: record, refused: holderRefuses)
        if !weaker.isEmpty {
            evaluation.findings.append(
                Finding(
                    kind: .policy, hsm: holder, reference: reference, key: KeySummary(record),
                    detail:
                        "weaker than on \(reference): \(holder) cannot hold \(weaker.joined(separator: ", ")) on token "
                        + "objects (its token refuses the attribute)"))
        }
        if !differences.isEmpty {
            evaluation.findings.append(
                Finding(
                    kind: .attributeMismatch, hsm: holder, reference: reference, key: KeySummary(record),
                    detail: differences.joined(separator: "; ")))
        }
    }

    static func incomparability(_ a: KeyRecord, _ aName: String, _ b: KeyRecord, _ bName: String) -> String {
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
