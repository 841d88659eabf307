public import HSMSyncModel
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
    public func generate(on endpoint: any HSMEndpoint) async throws -> GeneratedTransportKey {
        let hsm = endpoint.name
        let identity = await endpoint.transportIdentity()
        try await endpoint.checkTransportKeyInstallable(label: label)
        let key = try await endpoint.randomBytes(count: TransportKeyPolicy.keyByteCount)
        // The share set's randomness comes from the HSM too, drawn once: a single-group SLIP-0039
        // split needs at most 2 + 28 + 16 × 32 bytes.
        let random = PrefetchedRandom(try await endpoint.randomBytes(count: 1024), hsm: hsm)
        let shares: [MnemonicShare]
        do {
            shares = try ShareSplitter.split(
                masterSecret: key, threshold: parameters.threshold, count: parameters.count, random: random)
        } catch let error as PrefetchedRandom.Exhausted {
            throw TransportError.hostFailure(error.description)
        }
        let summary = ShareSetSummary(
            identifier: shares[0].metadata.identifier, threshold: parameters.threshold, count: parameters.count,
            sharesEntered: nil)
        let material = try TransportKeyMaterial(key: key, shareSet: summary)
        return GeneratedTransportKey(material: material, shares: shares, generatedOn: identity, label: label)
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
    public func preflight(on endpoint: any HSMEndpoint) async throws {
        try await endpoint.checkTransportKeyInstallable(label: label)
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
    public func install(_ material: TransportKeyMaterial, on endpoint: any HSMEndpoint) async throws
        -> TransportKeyInstallResult
    {
        let identity = await endpoint.transportIdentity()
        let imported = try await endpoint.installTransportKey(
            material.key, label: label, preference: preference, expectedCheckValue: material.checkValue)
        var warnings: [String] = []
        switch imported.method {
        case .rsaOAEPUnwrap(.sha1):
            warnings.append(
                "the token accepts only SHA-1 RSA-OAEP (SoftHSM2's limitation, P8 in docs/softhsm2-and-p11-kit.md): "
                    + "the key was imported under OAEP with SHA-1 and MGF1-SHA-1")
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
            importKeyFingerprint: imported.importKeyFingerprint, record: imported.record, warnings: warnings,
            outcome: "installed")
    }
}
