public import HSMSyncModel
import PKCS11
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
        _ bundle: VerifiedBackup, target: String, connect: (String) async throws -> HSMWorker
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
            let worker = try await connect(source.hsm)
            let serial = await worker.token?.serialNumber
            let scan: Result<[KeyRecord], any Error>
            do {
                scan = .success(
                    try await worker.withSession { session in
                        try session.scanInventory(transportLabel: fleet.transport.label, scope: fleet.keys).objects
                    })
            } catch {
                scan = .failure(error)
            }
            await worker.close()
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
        _ bundle: VerifiedBackup, on worker: HSMWorker, source: BackupSourceCheck? = nil, allowResurrect: Bool = false
    ) async throws -> BackupRestorePlan {
        let label = bundle.content.manifest.backupKey.label
        let expected = bundle.content.manifest.backupKey.checkValue
        let fleet = fleet
        let hsm = worker.name
        let (inspection, scan) = try await worker.withSession { session in
            let inspection = try session.inspectTransportKey(label: label)
            guard inspection.isSound, inspection.checkValue == expected else { return (inspection, [KeyRecord]?.none) }
            return (
                inspection, try session.scanInventory(transportLabel: fleet.transport.label, scope: fleet.keys).objects
            )
        }
        guard inspection.isSound, let checkValue = inspection.checkValue else {
            let hint =
                inspection.objects == 0 ? " (load it from the custodians' shares: hsmsync transport install)" : ""
            throw BackupError.backupKeyUnusable(
                hsm: hsm, label: label, reason: (inspection.unsoundReason ?? "no check value") + hint)
        }
        guard checkValue == expected, let scan else {
            throw BackupError.backupKeyMismatch(hsm: hsm, label: label, bundle: expected, target: checkValue)
        }
        return BackupRestorePlan.make(
            bundle: bundle, hsm: hsm, target: scan, backupKeyCheckValue: checkValue, source: source,
            allowResurrect: allowResurrect)
    }

    /// Restores every `restore` item of `plan`, one at a time, calling `report` after each (the
    /// command logs it), then rescans and proves each restored key by fingerprint, calling
    /// `report` again for each key that proof turned into a failure.
    public func apply(
        _ plan: BackupRestorePlan, bundle: VerifiedBackup, on worker: HSMWorker,
        report: (BackupRestoreOutcome) async throws -> Void
    ) async throws -> [BackupRestoreOutcome] {
        let label = bundle.content.manifest.backupKey.label
        var outcomes: [BackupRestoreOutcome] = []
        for (item, object) in zip(plan.objects, bundle.content.objects) where item.action == .restore {
            let outcome = await BackupStaging.restore(object, on: worker)
            outcomes.append(outcome)
            try await report(outcome)
        }
        let keys = zip(plan.keys, bundle.content.keys).filter { $0.0.action == .restore }.map(\.1)
        if !keys.isEmpty {
            // Found once for the run (the plan proved it by check value), not once per key; a
            // failed lookup fails each key with its reason, as a failed unwrap would.
            let backupKey: Result<ObjectHandle, any Error>
            do {
                backupKey = .success(
                    try await worker.withSession { try $0.findObject(matching: [.class(.secretKey), .label(label)]) })
            } catch {
                backupKey = .failure(error)
            }
            for key in keys {
                let outcome = await BackupStaging.restore(key, backupKey: backupKey, on: worker)
                outcomes.append(outcome)
                try await report(outcome)
            }
        }
        let proven = try await prove(outcomes, bundle: bundle, on: worker)
        for (before, after) in zip(outcomes, proven) where before.status != after.status {
            try await report(after)
        }
        return proven
    }

    /// A fresh scan: each promoted object's fingerprint must be the bundle's wherever the two were
    /// computed the same way (for secret keys: under transport keys with the same check value). A
    /// promoted object whose fingerprint is not the bundle's is destroyed again: its identity was
    /// absent when the plan was made, so it is this run's own object.
    private func prove(_ outcomes: [BackupRestoreOutcome], bundle: VerifiedBackup, on worker: HSMWorker) async throws
        -> [BackupRestoreOutcome]
    {
        let fleet = fleet
        let scan = try await worker.withSession { session in
            let scan = try session.scanInventory(transportLabel: fleet.transport.label, scope: fleet.keys)
            return zip(scan.objects, scan.handles).map { ($0, $1) }
        }
        var byIdentity: [KeyIdentity: KeyRecord] = [:]
        var handles: [KeyIdentity: ObjectHandle] = [:]
        for (record, handle) in scan {
            byIdentity[record.identity] = record
            handles[record.identity] = handle
        }
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
        let wrong = zip(outcomes, proven).compactMap { before, after in
            before.status == .restored && after.status == .failed ? handles[after.key] : nil
        }
        if !wrong.isEmpty {
            try await worker.withSession { session in
                for handle in wrong { try session.destroyObject(handle) }
            }
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

/// What happened to one bundle object in a restore.
public struct BackupRestoreOutcome: Sendable, Codable, Hashable {
    public enum Status: String, Sendable, Codable, Hashable {
        /// Staged, verified, promoted and proven.
        case restored
        /// Not restored: a check failed or the token refused; nothing of it is left on the token.
        case failed
    }

    public let key: KeyIdentity
    public var status: Status
    /// The bundle's fingerprint.
    public let fingerprint: Fingerprint
    /// How the key was proven (re-wrap equality, attribute read-back, fingerprint).
    public var proof: [String]
    /// For `failed`: why, and what was undone.
    public var detail: String?
}
