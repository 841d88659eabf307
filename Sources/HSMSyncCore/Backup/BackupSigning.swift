import Foundation
public import HSMSyncModel
import SecureMemory
public import SignedLog

/// Which key signs a fleet's bundles and which verifier key a restore trusts: the fleet's
/// `backup.signing-key`, which must not be the audit log's key.
///
/// A bundle signed with the log key proved nothing a forger on the log's host could not also sign
/// (issue 17: a template widened, signed with the log key file, restored as written). So bundles
/// have a signing key of their own, ideally held in an HSM; only a rehearsal, whose bundles are
/// thrown away with it, signs with its own log key.
public enum BackupSigning {
    /// The signer for new bundles (and the worker holding it, to close, when HSM-held and not one
    /// of `workers`: a ceremony passes its own, so no PIN is asked again).
    ///
    /// - Parameter rehearsal: sign with the (rehearsal's own) log key when there is no backup
    ///   signing key.
    /// - Throws: ``BackupError/noSigningKey(_:)`` when the fleet has no backup signing key, or one
    ///   that is the log key; errors of the key itself.
    public static func signer(
        for fleet: Fleet, connector: any HSMConnector, workers: [String: any HSMEndpoint] = [:], rehearsal: Bool = false
    ) async throws -> (signer: any AuditSigner, worker: (any HSMEndpoint)?) {
        if let key = fleet.backup.signingKey {
            guard key != fleet.log?.key else {
                throw BackupError.noSigningKey(
                    "backup.signing-key is the log's key: bundles need a key of their own, so that whoever can "
                        + "sign log entries cannot also sign a bundle (docs/fleet-file.md)")
            }
            let (signer, _, worker) = try await AuditTrail.signer(
                for: key, fleet: fleet, origin: backupKeyName(fleet), connector: connector, workers: workers)
            return (signer, worker)
        }
        guard rehearsal, let log = fleet.log else {
            throw BackupError.noSigningKey(Self.missingKey(fleet))
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

    /// Why a fleet without `backup.signing-key` cannot sign a bundle, and what to do.
    static func missingKey(_ fleet: Fleet) -> String {
        "the fleet \(fleet.name) has no backup.signing-key: bundles are signed with a key of their own, never the "
            + "log's. Create one with `hsmsync log keygen --name \(backupKeyName(fleet)) --out backup.key` and add "
            + "`backup: {signing-key: file:backup.key}`, or keep it in an HSM: `{hsm: NAME, label: LABEL}` "
            + "(docs/fleet-file.md)"
    }

    /// The verifier key bundles of this fleet must be signed with: `explicit` (`--vkey`), else
    /// `backup.vkey`, else a file signing key's public half; in a rehearsal without a backup signing
    /// key, the rehearsal log's `log.vkey`.
    ///
    /// - Throws: ``BackupError`` when none can be found or read.
    public static func trustedKey(for fleet: Fleet, explicit: String?, rehearsal: Bool = false) throws -> VerifierKey {
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
            guard rehearsal, let log = fleet.log else {
                throw BackupError.noSigningKey(
                    "the fleet \(fleet.name) has no backup.signing-key and no backup.vkey: pass --vkey with the "
                        + "verifier key of the key that signs its bundles (never the log's)")
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
