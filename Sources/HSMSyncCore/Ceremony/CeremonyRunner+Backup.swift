import Foundation
import HSMSyncModel
import SignedLog

/// The backup steps: the same engine as `hsmsync backup create|verify|restore`, on the ceremony's
/// workers, with the step's outputs (bundle digest, counts, check values, proofs) in the log.
///
/// Bundle paths are relative to the fleet file's directory, like the fleet's own paths. A rehearsal
/// never writes beside the real bundles: what it creates goes to `<rehearsal log>.bundles/`, and
/// a bundle it did not create is read from the real path and trusted as the real fleet trusts it.
extension CeremonyRunner {
    func backupCreate(_ step: CeremonyStep, hsm: String, out: String) async throws -> [String: JSONValue] {
        let path = bundlePath(out, creating: true)
        guard !FileManager.default.fileExists(atPath: path) else {
            throw CeremonyError.stepFailed(
                step: step.id, reason: "\(path) exists: a backup never overwrites a file", category: .invalidInput)
        }
        let worker = try await worker(hsm)
        let (signer, signerWorker) = try await BackupSigning.signer(
            for: fleet, connector: connector, workers: workers, rehearsal: rehearsal)
        try FileManager.default.createDirectory(
            atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        guard let trail else { throw CeremonyError.invalid("the ceremony log is not open") }
        let created: BackupCreated
        do {
            created = try await BackupCreation(fleet: fleet).create(
                from: worker, signer: signer, at: path, trail: trail)
        } catch {
            await signerWorker?.close()
            throw error
        }
        await signerWorker?.close()
        let content = created.content
        let manifest = content.manifest
        say(
            "  backup of \(hsm): \(content.keys.count) keys, \(content.objects.count) public objects, "
                + "\(content.excluded.count) excluded → \(path)")
        return [
            "hsm": .string(hsm), "serial": .string(manifest.source.serial), "bundle": .string(path),
            "sha256": .string(created.digest.description),
            "backup_key": .string(manifest.backupKey.label),
            "backup_key_check_value": .string(manifest.backupKey.checkValue),
            "keys": .integer(Int64(content.keys.count)), "objects": .integer(Int64(content.objects.count)),
            "excluded": .array(
                content.excluded.map { .string("\($0.identity.description): \($0.reason)") }),
            "signer": .string(signer.verifierKey.description),
        ]
    }

    func backupVerify(_ step: CeremonyStep, bundle: String) async throws -> [String: JSONValue] {
        let (path, verified) = try loadBundle(bundle)
        let manifest = verified.content.manifest
        say("  \(bundle) verifies: \(verified.content.keys.count) keys, signed by \(verified.signer.name)")
        return [
            "bundle": .string(path), "sha256": .string("sha256:\(verified.sha256)"),
            "source": .string(manifest.source.hsm), "source_serial": .string(manifest.source.serial),
            "created": .string(manifest.createdAt),
            "backup_key_check_value": .string(manifest.backupKey.checkValue),
            "keys": .integer(Int64(verified.content.keys.count)),
            "objects": .integer(Int64(verified.content.objects.count)),
            "signer": .string(verified.signer.description),
        ]
    }

    /// Restores only when nothing conflicts and nothing is refused: a ceremony step never leaves a
    /// half-restored HSM with conflicts to sort out in the room. Every restored object is proven by
    /// fingerprint. Keys the live source destroyed since the bundle was made come back only when the
    /// step names two people for it and both confirm, here, each of those keys.
    func backupRestore(_ step: CeremonyStep, bundle: String, hsm: String, allowResurrectBy: [String]) async throws
        -> [String: JSONValue]
    {
        let (path, verified) = try loadBundle(bundle)
        guard let target = fleet.hsm(named: hsm) else { throw CeremonyError.invalid("no HSM called \(hsm)") }
        guard let trail else { throw CeremonyError.invalid("the ceremony log is not open") }
        let restore = BackupRestore(fleet: fleet)
        try restore.checkTarget(target, bundle: verified)
        let worker = try await worker(hsm)
        return try await restore.underFleetLock {
            let (plan, source, resurrected) = try await restorePlan(
                step, verified, restore: restore, on: worker, allowResurrectBy: allowResurrectBy, trail: trail)
            let outcomes = try await restore.apply(plan, bundle: verified, on: worker, trail: trail) { outcome in
                self.say("  \(outcome.status.rawValue) \(outcome.key.description)")
            }
            let failed = outcomes.filter { $0.status != .restored }
            guard failed.isEmpty else {
                throw CeremonyError.stepFailed(
                    step: step.id,
                    reason: "\(failed.count) object(s) not restored: "
                        + failed.map { "\($0.key.description): \($0.detail ?? "failed")" }.joined(separator: "; "),
                    category: .runtime)
            }
            return [
                "hsm": .string(hsm), "bundle": .string(path),
                "sha256": .string("sha256:\(verified.sha256)"),
                "backup_key_check_value": .string(plan.backupKeyCheckValue),
                "present": .integer(Int64(plan.present)),
                "source_check": .string(source.status.rawValue),
                "resurrected": .array(resurrected.map { .string($0.key.description) }),
                "restored": .array(
                    outcomes.map { outcome in
                        .object([
                            "key": .string(outcome.key.description),
                            "fingerprint": .string(outcome.fingerprint.digest.map { "sha256:\($0)" } ?? "unavailable"),
                            "proofs": .array(outcome.proof.map(JSONValue.string)),
                        ])
                    }),
            ]
        }
    }

    /// The restore's plan, with keys destroyed on the source brought back only when every person the
    /// step names confirms; refused when anything would be refused or conflicts.
    private func restorePlan(
        _ step: CeremonyStep, _ verified: VerifiedBackup, restore: BackupRestore, on worker: any HSMEndpoint,
        allowResurrectBy: [String], trail: AuditTrail
    ) async throws -> (BackupRestorePlan, BackupSourceCheck, [BackupRestorePlan.Item]) {
        let hsm = worker.name
        let connector = connector
        let fleet = fleet
        let source = await restore.checkSource(verified, target: hsm) { name in
            guard let hsm = fleet.hsm(named: name) else { throw CeremonyError.invalid("no HSM called \(name)") }
            let connection = await connector.connect([hsm], readWrite: false)[0]
            guard let endpoint = connection.endpoint else { throw connection.error! }
            return endpoint
        }
        var plan = try await restore.plan(verified, on: worker, source: source, trail: trail)
        let destroyed = plan.keys.filter { $0.action == .refused && source.lacks($0.key) }
        if !destroyed.isEmpty && !allowResurrectBy.isEmpty && destroyed.count == plan.refused {
            let names = destroyed.map(\.key.description).joined(separator: ", ")
            for person in allowResurrectBy {
                try await confirm(
                    step, person: person,
                    prompt: "BRING BACK \(destroyed.count) key(s) destroyed on \(source.hsm) since the bundle was made "
                        + "(\(names)) into \(hsm)? Type yes to confirm", expected: "yes")
            }
            plan = try await restore.plan(verified, on: worker, source: source, allowResurrect: true, trail: trail)
        }
        let items = plan.keys + plan.objects
        let refused = items.filter { $0.action == .refused }
        guard refused.isEmpty else {
            throw CeremonyError.stepFailed(
                step: step.id,
                reason: "\(refused.count) of the bundle's keys must not be restored ("
                    + refused.map { "\($0.key.description): \($0.detail ?? "refused")" }.joined(separator: "; ")
                    + "); nothing was restored", category: .integrity)
        }
        let conflicts = items.filter { $0.action == .conflict }
        guard conflicts.isEmpty else {
            throw CeremonyError.stepFailed(
                step: step.id,
                reason: "\(hsm) holds other material, or the same under another policy, under \(conflicts.count) "
                    + "of the bundle's identities ("
                    + conflicts.map { "\($0.key.description): \($0.detail ?? "conflict")" }.joined(separator: "; ")
                    + "); nothing was restored", category: .integrity)
        }
        return (plan, source, plan.refused == 0 && !destroyed.isEmpty ? destroyed : [])
    }

    /// Where a step's bundle is: relative paths from the fleet file's directory; in a rehearsal,
    /// bundles it creates (and later reads) are under the rehearsal log's `.bundles` directory.
    nonisolated func bundlePath(_ path: String, creating: Bool) -> String {
        if rehearsal {
            let rehearsed = logDirectory + ".bundles/" + path.split(separator: "/").joined(separator: "_")
            if creating || FileManager.default.fileExists(atPath: rehearsed) { return rehearsed }
        }
        return path.hasPrefix("/") ? path : Self.directory(of: fleet.path) + "/" + path
    }

    /// The bundle's path and its verified content.
    private func loadBundle(_ bundle: String) throws -> (String, VerifiedBackup) {
        let path = bundlePath(bundle, creating: false)
        // A bundle this rehearsal made is signed by the rehearsal's log; any other by the real fleet's key.
        let ownBundle = rehearsal && path.hasPrefix(logDirectory + ".bundles/")
        let trustFleet = rehearsal && !ownBundle ? try Fleet.load(from: fleet.path) : fleet
        let trusted = try BackupSigning.trustedKey(for: trustFleet, explicit: nil, rehearsal: ownBundle)
        return (path, try BackupCodec.load(path, trusted: trusted))
    }

    private static func directory(of path: String) -> String {
        let directory = (path as NSString).deletingLastPathComponent
        return directory.isEmpty ? "." : directory
    }
}
