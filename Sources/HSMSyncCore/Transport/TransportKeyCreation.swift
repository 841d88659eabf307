import HSMSyncModel
import PKCS11
import SLIP39
import SecureMemory
import SignedLog

/// `hsmsync transport create`, the part that happens before the shares are handed out: check the
/// target HSM, draw 256 bits from its random generator and split them into custodian shares.
///
/// Nothing is written to the HSM here; ``TransportKeyInstaller/install(_:on:)`` installs the key
/// once the shares are safely delivered, so a failure at either step leaves nothing half-done.
public struct TransportKeyCreation: Sendable {
    /// The fleet's transport label.
    public let label: String
    /// M of N.
    public let parameters: TransportShareParameters
    /// How the key will be imported (checked here so the ceremony fails before any share is shown).
    public let preference: TransportKeyImportPreference

    public init(
        label: String, parameters: TransportShareParameters, preference: TransportKeyImportPreference = .automatic
    ) {
        self.label = label
        self.parameters = parameters
        self.preference = preference
    }

    /// Checks that the HSM has no object with the transport label and can hold a transport key,
    /// then generates the key with the HSM's random generator and splits it (the share set's
    /// randomness comes from the HSM too).
    ///
    /// - Throws: ``TransportError/labelInUse(hsm:label:objects:detail:)``,
    ///   ``TransportError/capabilityMissing(hsm:reason:)``, ``TransportError/hsmFailure(hsm:operation:error:compensation:)``.
    public func generate(on worker: HSMWorker) async throws -> GeneratedTransportKey {
        let hsm = worker.name
        let identity = await worker.transportIdentity
        let (label, parameters) = (self.label, self.parameters)
        return try await worker.withSession { session in
            try session.requireLabelFree(label, hsm: hsm)
            do {
                if let reason = try session.transportKeyUnsupportedReason() {
                    throw TransportError.capabilityMissing(hsm: hsm, reason: reason)
                }
            } catch let error as PKCS11Error {
                throw TransportError.hsmFailure(
                    hsm: hsm, operation: "reading the mechanism list", error: DeviceError(error), compensation: nil)
            }
            let key: SecretBytes
            do {
                key = try session.generateRandom(count: TransportKeyMaterial.byteCount)
            } catch let error as PKCS11Error {
                throw TransportError.hsmFailure(
                    hsm: hsm, operation: "drawing the key from the HSM's random generator", error: DeviceError(error),
                    compensation: nil)
            }
            let shares: [MnemonicShare]
            do {
                shares = try ShareSplitter.split(
                    masterSecret: key, threshold: parameters.threshold, count: parameters.count, random: session)
            } catch let error as PKCS11Error {
                throw TransportError.hsmFailure(
                    hsm: hsm, operation: "drawing share randomness from the HSM", error: DeviceError(error),
                    compensation: nil)
            }
            let summary = ShareSetSummary(
                identifier: shares[0].metadata.identifier, threshold: parameters.threshold, count: parameters.count,
                sharesEntered: nil)
            let material = try TransportKeyMaterial(key: key, shareSet: summary)
            return GeneratedTransportKey(material: material, shares: shares, generatedOn: identity, label: label)
        }
    }
}

/// Installs a host-held transport key into one HSM and proves it: `hsmsync transport create`'s
/// last step and `hsmsync transport install`.
public struct TransportKeyInstaller: Sendable {
    /// The fleet's transport label.
    public let label: String
    /// RSA-OAEP unwrap where possible (the default), or `C_CreateObject`.
    public let preference: TransportKeyImportPreference

    public init(label: String, preference: TransportKeyImportPreference = .automatic) {
        self.label = label
        self.preference = preference
    }

    /// Checks, without changing anything, that the HSM has no object with the transport label and
    /// can hold a transport key. Run it before custodians enter shares. (Which import path is taken
    /// is decided at ``install(_:on:)``, by a probe that needs an ephemeral key pair.)
    ///
    /// - Throws: ``TransportError/labelInUse(hsm:label:objects:detail:)``,
    ///   ``TransportError/capabilityMissing(hsm:reason:)``, ``TransportError/hsmFailure(hsm:operation:error:compensation:)``.
    public func preflight(on worker: HSMWorker) async throws {
        let (hsm, label) = (worker.name, self.label)
        try await worker.withSession { session in
            try session.requireLabelFree(label, hsm: hsm)
            do {
                if let reason = try session.transportKeyUnsupportedReason() {
                    throw TransportError.capabilityMissing(hsm: hsm, reason: reason)
                }
            } catch let error as PKCS11Error {
                throw TransportError.hsmFailure(
                    hsm: hsm, operation: "reading the mechanism list", error: DeviceError(error), compensation: nil)
            }
        }
    }

    /// Imports `material` as the transport key, reads it back and confirms it: exactly one object
    /// with the label, no policy violation, and the HSM's transport check value equal to the host's.
    ///
    /// The label is checked again right before the import. On any failure after the token created
    /// an object, the objects this call created are destroyed (and only those), so the token's
    /// object count is unchanged.
    ///
    /// - Throws: ``TransportError``: label in use, capability missing, an HSM failure (with what was
    ///   undone), or ``TransportError/installVerificationFailed(hsm:problems:compensation:)``.
    public func install(_ material: TransportKeyMaterial, on worker: HSMWorker) async throws
        -> TransportKeyInstallResult
    {
        let identity = await worker.transportIdentity
        let (hsm, label, preference) = (worker.name, self.label, self.preference)
        return try await worker.withSession { session in
            try session.requireLabelFree(label, hsm: hsm)
            let before: Set<ObjectHandle>
            do {
                before = try session.secretKeyHandles()
            } catch let error as PKCS11Error {
                throw TransportError.hsmFailure(
                    hsm: hsm, operation: "listing secret keys", error: DeviceError(error), compensation: nil)
            }
            let imported: ImportedTransportKey
            do {
                imported = try session.importTransportKey(
                    material.key.bytes, label: label, preference: preference, hsm: hsm)
            } catch {
                let undone = session.removeNewObjects(since: before, label: label)
                guard case TransportError.hsmFailure(let hsm, let operation, let cause, _) = error else { throw error }
                throw TransportError.hsmFailure(hsm: hsm, operation: operation, error: cause, compensation: undone)
            }
            let problems: [String]
            let inspection: TransportKeyInspection?
            do {
                let found = try session.objects(labelled: label)
                let read = try session.inspectTransportKey(imported.handle, label: label)
                inspection = read
                problems = Self.problems(read, objects: found.count, expected: material.checkValue)
            } catch let error as PKCS11Error {
                let undone = session.removeNewObjects(since: before, label: label, ours: imported.handle)
                throw TransportError.hsmFailure(
                    hsm: hsm, operation: "reading the installed key back", error: DeviceError(error),
                    compensation: undone)
            }
            guard problems.isEmpty, let inspection, let record = inspection.record else {
                let undone = session.removeNewObjects(since: before, label: label, ours: imported.handle)
                throw TransportError.installVerificationFailed(hsm: hsm, problems: problems, compensation: undone)
            }
            var warnings: [String] = []
            switch imported.method {
            case .rsaOAEPUnwrap(.sha1):
                warnings.append(
                    "the token accepts only SHA-1 RSA-OAEP (SoftHSM2's limitation, SECURITY.md P8): the key was "
                        + "imported under OAEP with SHA-1 and MGF1-SHA-1")
            case .createObject:
                warnings.append(
                    "the key was imported with C_CreateObject, its value passed in the clear to the token's library "
                        + "(\(imported.fallbackReason ?? "RSA-OAEP unwrap is not possible"))")
            case .rsaOAEPUnwrap(.sha256):
                break
            }
            return TransportKeyInstallResult(
                hsm: identity, label: label, kcv: material.kcv.hex, kcvWords: material.kcv.words,
                checkValue: material.checkValue, shareSet: material.shareSet, importMethod: imported.method,
                importKeyFingerprint: imported.importKeyFingerprint, record: record, warnings: warnings,
                outcome: "installed")
        }
    }

    /// What is wrong with a freshly installed key, as read back.
    static func problems(_ inspection: TransportKeyInspection, objects: Int, expected checkValue: String) -> [String] {
        var problems = inspection.violations.map { "transport key \($0)" }
        if objects != 1 {
            problems.append("\(objects) objects carry the transport label after the import (expected 1)")
        }
        if let value = inspection.checkValue {
            if value != checkValue {
                problems.append("the HSM computes check value \(value), the host \(checkValue): not the same key")
            }
        } else {
            problems.append(inspection.checkValueUnavailable ?? "no check value")
        }
        return problems
    }
}
