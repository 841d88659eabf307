import Foundation
public import HSMSyncModel
public import SLIP39
import SignedLog

/// `hsmsync backup drill`: proves a bundle restorable without touching a real HSM's keys. A
/// throwaway token receives the backup key from the custodians' shares, the bundle is restored into
/// it (stage → verify → promote, proof by fingerprint, the same code as `backup restore --apply`),
/// and every object is compared by fingerprint with the live source HSM, which is only read. The
/// throwaway token is destroyed whatever happens.
public struct BackupDrill: Sendable {
    public let fleet: Fleet
    public let connector: any HSMConnector
    public let scratch: any ScratchTokens

    public init(fleet: Fleet, connector: any HSMConnector, scratch: any ScratchTokens) {
        self.fleet = fleet
        self.connector = connector
        self.scratch = scratch
    }

    /// What a drill proved.
    public struct Outcome: Sendable {
        /// Restores into the throwaway token that did not succeed (nothing is compared then).
        public let restoreFailures: [BackupRestoreOutcome]
        /// Each bundle object against the live source.
        public let comparisons: [BackupSourceComparison.Result]
        /// When the bundle was proven restorable (Unix time); `nil` when this drill did not prove it.
        public let verifiedAt: Int64?

        public var proven: Int { comparisons.filter(\.matches).count }
    }

    /// Refuses a bundle of another fleet, or of a source the fleet does not name, before anything.
    public func check(_ bundle: VerifiedBackup) throws {
        guard bundle.content.manifest.fleet == fleet.name else {
            throw BackupError.otherFleet(bundle: bundle.content.manifest.fleet, fleet: fleet.name)
        }
        let source = bundle.content.manifest.source.hsm
        guard fleet.hsm(named: source) != nil else {
            throw BackupError.unknownHSM(name: source, fleet: fleet.name, known: fleet.hsms.map(\.name))
        }
    }

    /// Runs the drill and records it (`backup.drill`, or its failure) in `trail`; a proven drill is
    /// also written to the fleet's state directory (``BackupDrillState``) for `audit --metrics`.
    ///
    /// - Throws: share, backup-key, restore and HSM errors (recorded first); a drill that runs but
    ///   does not prove every object returns an outcome with `verifiedAt == nil`.
    public func run(_ bundle: VerifiedBackup, shares: ShareRecovery, trail: AuditTrail) async throws -> Outcome {
        try check(bundle)
        let entries = BackupEntries(actor: trail.actor)
        let outcome: Outcome
        do {
            let failures = try await restoreIntoScratch(bundle, shares: shares)
            let comparisons = failures.isEmpty ? try await compareWithSource(bundle) : []
            // A bundle with nothing in it proves nothing restorable.
            let proven =
                failures.isEmpty && !comparisons.isEmpty && comparisons.allSatisfy(\.matches)
            outcome = Outcome(
                restoreFailures: failures, comparisons: comparisons,
                verifiedAt: proven ? Int64(Date().timeIntervalSince1970) : nil)
        } catch {
            try await trail.record(entries.drillFailed(bundle, error: error))
            throw error
        }
        try await trail.record(
            entries.drill(
                bundle, proven: outcome.proven, objects: outcome.comparisons.count, verifiedAt: outcome.verifiedAt))
        try await trail.checkpoint()
        if let verifiedAt = outcome.verifiedAt {
            try BackupDrillState(
                fleet: fleet.name, bundleSHA256: bundle.sha256, bundleCreatedAt: bundle.content.manifest.createdAt,
                source: bundle.content.manifest.source.hsm, proven: outcome.proven, verifiedAt: verifiedAt
            ).write(for: fleet)
        }
        return outcome
    }

    /// Loads the backup key into a throwaway token and restores the bundle there; returns the
    /// restores that did not succeed.
    private func restoreIntoScratch(_ bundle: VerifiedBackup, shares: ShareRecovery) async throws
        -> [BackupRestoreOutcome]
    {
        let backupKey = bundle.content.manifest.backupKey
        let loading = "loading the backup key into the throwaway token from the shares"
        let material: TransportKeyMaterial
        do { material = try TransportKeyMaterial.recover(from: shares) } catch {
            throw BackupDrillStepFailed(operation: loading, cause: error)
        }
        // Shares of another key would only fail later, inside the token: say so before it exists.
        guard material.checkValue == backupKey.checkValue else {
            throw BackupDrillStepFailed(
                operation: loading,
                cause: BackupError.backupKeyMismatch(
                    hsm: "the shares", label: backupKey.label, bundle: backupKey.checkValue,
                    target: material.checkValue))
        }
        let tokens = try await scratch.start([
            ScratchTokenRequest(
                name: "drill", role: .member, tokenLabel: "hsmsync-drill-\(UInt32.random(in: 0...UInt32.max))")
        ])
        do {
            let failures = try await restore(bundle, material: material, into: tokens)
            await tokens.destroy()
            return failures
        } catch {
            await tokens.destroy()
            throw error
        }
    }

    private func restore(_ bundle: VerifiedBackup, material: TransportKeyMaterial, into tokens: any ScratchTokenSet)
        async throws -> [BackupRestoreOutcome]
    {
        let connection = await connector.connect(tokens.hsms, readWrite: true)[0]
        guard let endpoint = connection.endpoint else { throw connection.error! }
        do {
            let label = bundle.content.manifest.backupKey.label
            do { _ = try await TransportKeyInstaller(label: label).install(material, on: endpoint) } catch {
                throw BackupDrillStepFailed(
                    operation: "loading the backup key into the throwaway token from the shares", cause: error)
            }
            // The throwaway token's own fleet: the bundle's backup key is its transport key, the
            // real fleet's scope, no log (the drill itself is what the real log records).
            let drillFleet = Fleet(
                name: fleet.name, hsms: tokens.hsms, keys: fleet.keys, transport: TransportSettings(label: label),
                stateDirectory: tokens.directory + "/state", path: tokens.directory + "/drill-fleet.yaml")
            let restore = BackupRestore(fleet: drillFleet)
            let plan = try await restore.plan(bundle, on: endpoint, source: nil)
            let left = (plan.keys + plan.objects).filter { $0.action == .conflict || $0.action == .refused }
            guard left.isEmpty else {
                // Refused (a key no restore may recreate) or in conflict: not restorable, nothing applied.
                await endpoint.close()
                return left.map {
                    BackupRestoreOutcome(
                        key: $0.key, status: .failed, fingerprint: $0.fingerprint, proof: [],
                        detail: "\($0.action.rawValue): \($0.detail ?? "")")
                }
            }
            let outcomes = try await restore.apply(plan, bundle: bundle, on: endpoint) { _ in }
            await endpoint.close()
            return outcomes.filter { $0.status != .restored }
        } catch {
            await endpoint.close()
            throw error
        }
    }

    private func compareWithSource(_ bundle: VerifiedBackup) async throws -> [BackupSourceComparison.Result] {
        let name = bundle.content.manifest.source.hsm
        guard let hsm = fleet.hsm(named: name) else {
            throw BackupError.unknownHSM(name: name, fleet: fleet.name, known: fleet.hsms.map(\.name))
        }
        let connection = await connector.connect([hsm], readWrite: false)[0]
        guard let source = connection.endpoint else { throw connection.error! }
        do {
            let comparisons = try await BackupSourceComparison.compare(bundle, fleet: fleet, source: source)
            await source.close()
            return comparisons
        } catch {
            await source.close()
            throw error
        }
    }
}
