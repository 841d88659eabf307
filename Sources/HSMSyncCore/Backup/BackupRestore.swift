public import HSMSyncModel
import SignedLog

/// Restores a verified bundle into one HSM: preconditions, the read-only plan, then for each key
/// to restore the replication protocol's stage → verify → promote (SECURITY.md §5), and a final
/// proof of every restored key by fingerprint from a fresh scan.
///
/// Never overwrites: a key whose identity is already on the target is skipped when its fingerprint
/// is the bundle's, and left untouched and reported otherwise. The only objects ever destroyed are
/// this run's own session-object stages, and a just-promoted copy that failed its read-back.
public struct BackupRestore: Sendable {
    public let fleet: Fleet

    public init(fleet: Fleet) {
        self.fleet = fleet
    }

    /// Checks what can be checked without an HSM: the target's role and the bundle's fleet.
    public func checkTarget(_ hsm: HSMConfiguration, bundle: VerifiedBackup) throws {
        guard hsm.role != .primary else { throw BackupError.targetIsPrimary(hsm: hsm.name) }
        guard bundle.content.manifest.fleet == fleet.name else {
            throw BackupError.otherFleet(bundle: bundle.content.manifest.fleet, fleet: fleet.name)
        }
    }

    /// Compares the bundle with its live source HSM, when the fleet has it (same name and token
    /// serial) and it answers: read-only, through `connect` (a read-only worker the caller closes).
    public func checkSource(
        _ bundle: VerifiedBackup, target: String, connect: (String) async throws -> any HSMEndpoint
    ) async -> BackupSourceCheck {
        let source = bundle.content.manifest.source
        guard source.hsm != target, fleet.hsm(named: source.hsm) != nil else {
            return .notCompared(
                hsm: source.hsm, status: .notInFleet,
                reason: source.hsm == target
                    ? "the bundle's source is the restore target itself"
                    : "the fleet has no HSM called \(source.hsm)")
        }
        let fleet = fleet
        do {
            let endpoint = try await connect(source.hsm)
            let serial = await endpoint.token()?.serialNumber
            let scan: Result<[KeyRecord], any Error>
            do {
                scan = .success(
                    try await endpoint.scan(transportLabel: fleet.transport.label, scope: fleet.keys, progress: nil)
                        .objects)
            } catch {
                scan = .failure(error)
            }
            await endpoint.close()
            guard serial == source.serial else {
                return .notCompared(
                    hsm: source.hsm, status: .notInFleet,
                    reason:
                        "\(source.hsm) is now token serial \(serial ?? "?"), the bundle's source was \(source.serial)")
            }
            return .compared(hsm: source.hsm, scan: try scan.get())
        } catch {
            return .notCompared(hsm: source.hsm, status: .unreachable, reason: "\(error)")
        }
    }

    /// Proves the worker's token holds the bundle's backup key (by check value) and compares the
    /// bundle with the token's inventory. Read-only.
    public func plan(
        _ bundle: VerifiedBackup, on endpoint: any HSMEndpoint, source: BackupSourceCheck? = nil,
        allowResurrect: Bool = false
    ) async throws -> BackupRestorePlan {
        let label = bundle.content.manifest.backupKey.label
        let expected = bundle.content.manifest.backupKey.checkValue
        let hsm = endpoint.name
        let inspection = try await endpoint.inspectTransportKey(label: label)
        guard inspection.isSound, let checkValue = inspection.checkValue else {
            let hint =
                inspection.objects == 0 ? " (load it from the custodians' shares: hsmsync transport install)" : ""
            throw BackupError.backupKeyUnusable(
                hsm: hsm, label: label, reason: (inspection.unsoundReason ?? "no check value") + hint)
        }
        guard checkValue == expected else {
            throw BackupError.backupKeyMismatch(hsm: hsm, label: label, bundle: expected, target: checkValue)
        }
        let scan = try await endpoint.scan(transportLabel: fleet.transport.label, scope: fleet.keys, progress: nil)
        return BackupRestorePlan.make(
            bundle: bundle, hsm: hsm, target: scan.objects, backupKeyCheckValue: checkValue, source: source,
            allowResurrect: allowResurrect)
    }

    /// Restores every `restore` item of `plan`, one at a time, calling `report` after each (the
    /// command logs it), then rescans and proves each restored key by fingerprint, calling
    /// `report` again for each key that proof turned into a failure.
    public func apply(
        _ plan: BackupRestorePlan, bundle: VerifiedBackup, on endpoint: any HSMEndpoint,
        report: (BackupRestoreOutcome) async throws -> Void
    ) async throws -> [BackupRestoreOutcome] {
        let label = bundle.content.manifest.backupKey.label
        var outcomes: [BackupRestoreOutcome] = []
        for (item, object) in zip(plan.objects, bundle.content.objects) where item.action == .restore {
            let outcome = await endpoint.restore(object)
            outcomes.append(outcome)
            try await report(outcome)
        }
        for (item, key) in zip(plan.keys, bundle.content.keys) where item.action == .restore {
            let outcome = await endpoint.restore(key, backupKeyLabel: label)
            outcomes.append(outcome)
            try await report(outcome)
        }
        let proven = try await prove(outcomes, on: endpoint)
        for (before, after) in zip(outcomes, proven) where before.status != after.status {
            try await report(after)
        }
        return proven
    }

    /// A fresh scan: each promoted object's fingerprint must be the bundle's wherever the two were
    /// computed the same way (for secret keys: under transport keys with the same check value). A
    /// promoted object whose fingerprint is not the bundle's is destroyed again: its identity was
    /// absent when the plan was made, so it is this run's own object.
    private func prove(_ outcomes: [BackupRestoreOutcome], on endpoint: any HSMEndpoint) async throws
        -> [BackupRestoreOutcome]
    {
        let scan = try await endpoint.scan(transportLabel: fleet.transport.label, scope: fleet.keys, progress: nil)
        var byIdentity: [KeyIdentity: KeyRecord] = [:]
        for record in scan.objects { byIdentity[record.identity] = record }
        let proven = outcomes.map { outcome in
            guard outcome.status == .restored else { return outcome }
            var proven = outcome
            switch (outcome.fingerprint, byIdentity[outcome.key]?.fingerprint) {
            case (.available(let method, let digest), .available(let targetMethod, let targetDigest))
            where method == targetMethod:
                if digest == targetDigest {
                    proven.proof.append("fingerprint \(digest.prefix(16)) (\(method)) equals the bundle's")
                } else {
                    proven.status = .failed
                    proven.detail =
                        "after promotion its fingerprint is \(targetDigest.prefix(16)), the bundle's \(digest.prefix(16)); "
                        + "it was destroyed again (only this run's own object)"
                }
            case (_, .none):
                proven.status = .failed
                proven.detail = "the promoted object is not found by a fresh scan"
            case (_, .some(let fingerprint)):
                proven.proof.append(
                    "fingerprint not comparable on this HSM (\(fingerprint.method.map { "\($0)" } ?? fingerprint.unavailableReason ?? "?"))"
                )
            }
            return proven
        }
        // Promoted, then found with other material: destroyed (a promotion not found needs nothing).
        for (before, after) in zip(outcomes, proven) where before.status == .restored && after.status == .failed {
            if byIdentity[after.key] != nil { try await endpoint.destroy(after.key) }
        }
        return proven
    }
}

extension Fingerprint {
    /// Why there is no fingerprint, when there is none.
    var unavailableReason: String? {
        if case .unavailable(let reason) = self { return reason }
        return nil
    }
}
