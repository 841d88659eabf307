import Foundation

/// Which key signs a fleet's bundles and which verifier key a restore trusts: the fleet's
/// `backup.signing-key` when set, else the audit log's key.
public enum BackupSigning {
    /// The signer for new bundles (and the worker holding it, to close, when HSM-held and not one
    /// of `workers`: a ceremony passes its own, so no PIN is asked again).
    ///
    /// - Throws: ``BackupError/noSigningKey(_:)`` when the fleet has neither a backup signing key
    ///   nor a log; errors of the key itself.
    public static func signer(for fleet: Fleet, connector: FleetConnector, workers: [String: HSMWorker] = [:])
        async throws -> (signer: any AuditSigner, worker: HSMWorker?)
    {
        if let key = fleet.backup.signingKey {
            let (signer, _, worker) = try await AuditTrail.signer(
                for: key, fleet: fleet, origin: backupKeyName(fleet), connector: connector, workers: workers)
            return (signer, worker)
        }
        guard let log = fleet.log else {
            throw BackupError.noSigningKey(
                "the fleet \(fleet.name) has no log: section and no backup.signing-key: a bundle must be signed "
                    + "(docs/fleet-file.md)")
        }
        let origin = try LogVerifier.readVerifierKey(at: log.directory + "/log.vkey").name
        let (signer, _, worker) = try await AuditTrail.signer(
            for: log.key, fleet: fleet, origin: origin, connector: connector, workers: workers)
        return (signer, worker)
    }

    /// The key name of an HSM-held backup signing key's vkey.
    public static func backupKeyName(_ fleet: Fleet) -> String {
        "\(fleet.name)/backup"
    }

    /// The verifier key bundles of this fleet must be signed with: `explicit` (`--vkey`), else
    /// `backup.vkey`, else a file signing key's public half, else the log's `log.vkey`.
    ///
    /// - Throws: ``BackupError`` when none can be found or read.
    public static func trustedKey(for fleet: Fleet, explicit: String?) throws -> VerifierKey {
        if let path = explicit ?? fleet.backup.verifierKeyPath {
            return try readVerifierKey(path)
        }
        switch fleet.backup.signingKey {
        case .file(let path):
            return try FileKeySigner(path: path).verifierKey
        case .hsm:
            throw BackupError.noSigningKey(
                "the fleet's backup signing key is held in an HSM: set backup.vkey (the vkey `backup create` prints) "
                    + "or pass --vkey")
        case .none:
            guard let log = fleet.log else {
                throw BackupError.noSigningKey(
                    "the fleet \(fleet.name) has no log: section and no backup.vkey: pass --vkey")
            }
            return try readVerifierKey(log.directory + "/log.vkey")
        }
    }

    /// Reads a vkey text file (``LogVerifier/readVerifierKey(at:)``), as a backup error.
    public static func readVerifierKey(_ path: String) throws -> VerifierKey {
        do {
            return try LogVerifier.readVerifierKey(at: path)
        } catch {
            throw BackupError.verifierKeyUnusable(path: path, reason: "\(error)")
        }
    }
}
