import Crypto
import Foundation
public import HSMSyncModel
import SignedLog

/// `hsmsync transport agree`: the same transport key on two online HSMs by ECDH, without the key
/// ever leaving them (SECURITY.md R11).
///
/// 1. Both HSMs: nothing carries the transport label; mechanisms and curves (P-384 where both
///    offer it, else P-256) are checked.
/// 2. Each HSM generates an ephemeral EC key pair as session objects (private key: DERIVE only,
///    sensitive, non-extractable) and probes `CKD_SHA256_KDF` with a throwaway self-agreement.
/// 3. The host validates each public point (curve, on the curve, not infinity) before the other
///    HSM derives with it.
/// 4. Key confirmation: both derive a *session* copy; their transport check values must be equal.
/// 5. Only then both derive the token key with the transport template, read it back (policy, one
///    object, the confirmed check value). Any failure destroys what this run created on either HSM.
/// 6. The ephemeral keys are destroyed.
///
/// With `CKD_SHA256_KDF` the shared data binds the transcript (fleet, label, curve, both token
/// serials, both public points). With `CKD_NULL` (SoftHSM2 2.6.1 has nothing else, SECURITY.md P9)
/// the key is the trailing 32 bytes of the shared point's x-coordinate: not an SP 800-56C key
/// derivation, and reported as such.
public struct TransportKeyAgreement: Sendable {
    /// The fleet's transport label.
    public let label: String
    /// The fleet's name (bound into the transcript when a KDF is available).
    public let fleet: String
    /// Test seam, `nil` in production: replaces the ephemeral public key an HSM *receives* (named by
    /// the receiver), as a man in the middle would, to prove that key confirmation catches it.
    package var interceptPeerKey:
        (@Sendable (_ receiver: String, _ key: EphemeralAgreementKey) -> EphemeralAgreementKey)?

    public init(label: String, fleet: String) {
        self.label = label
        self.fleet = fleet
    }

    /// Runs the agreement between `from` and `to`.
    ///
    /// - Throws: ``TransportError``: label in use, capability missing, an invalid peer point, a failed
    ///   key confirmation, an HSM failure (with what was undone).
    public func run(from: any HSMEndpoint, to: any HSMEndpoint) async throws -> TransportAgreementResult {
        let label = self.label
        guard from.name != to.name else {
            throw TransportError.invalidHSMSelection("--from and --to name the same HSM (\(from.name))")
        }
        let fromIdentity = await from.transportIdentity()
        let toIdentity = await to.transportIdentity()

        // 1. Preflight both before anything is generated.
        var curveSets: [Set<AgreementCurve>] = []
        for endpoint in [from, to] {
            curveSets.append(try await endpoint.agreementCurves(transportLabel: label))
        }
        let common = curveSets[0].intersection(curveSets[1])
        let preferred: AgreementCurve? = common.contains(.p384) ? .p384 : common.contains(.p256) ? .p256 : nil
        guard let curve = preferred else {
            throw TransportError.capabilityMissing(
                hsm: "\(from.name) and \(to.name)", reason: "no EC curve of at least 256 bits both can use")
        }

        // 2. Ephemeral keys, found again later by a random CKA_ID (handles never leave a worker).
        var generator = SystemRandomNumberGenerator()
        let id = (0..<16).map { _ in UInt8.random(in: 0...255, using: &generator) }
        func cleanUp() async {
            await from.destroyEphemeralKey(id: id)
            await to.destroyEphemeralKey(id: id)
        }
        do {
            let result = try await agree(
                from: from, to: to, identities: (fromIdentity, toIdentity), curve: curve, id: id)
            await cleanUp()
            return result
        } catch {
            await cleanUp()
            throw error
        }
    }

    private func agree(
        from: any HSMEndpoint, to: any HSMEndpoint, identities: (TransportTokenIdentity, TransportTokenIdentity),
        curve: AgreementCurve, id: [UInt8]
    ) async throws -> TransportAgreementResult {
        let label = self.label
        let (fromName, toName) = (from.name, to.name)
        let fromKey = try await from.makeEphemeralKey(curve: curve, id: id)
        let toKey = try await to.makeEphemeralKey(curve: curve, id: id)
        // What each side receives (the same keys, unless a test plays man in the middle).
        let keyForFrom = interceptPeerKey?(fromName, toKey) ?? toKey
        let keyForTo = interceptPeerKey?(toName, fromKey) ?? fromKey

        // 3. Host-side validation of both points, before either HSM derives (each derive validates again).
        let fromPoint = try ECPeerPoint.validate(
            ecPoint: fromKey.ecPoint, ecParams: fromKey.ecParams, curve: curve, hsm: fromName)
        let toPoint = try ECPeerPoint.validate(
            ecPoint: toKey.ecPoint, ecParams: toKey.ecParams, curve: curve, hsm: toName)

        let useKDF = fromKey.supportsSHA256KDF && toKey.supportsSHA256KDF
        let kdf: AgreementKDF = useKDF ? .sha256 : .null
        let sharedData =
            useKDF
            ? transcript(curve: curve, identities: identities, fromPoint: fromPoint, toPoint: toPoint) : []

        // 4. Key confirmation on session copies: nothing persistent exists until both agree.
        let fromConfirm = try await from.agreedKeyCheckValue(
            ephemeralID: id, peer: keyForFrom, peerName: toName, curve: curve, kdf: kdf, sharedData: sharedData)
        let toConfirm = try await to.agreedKeyCheckValue(
            ephemeralID: id, peer: keyForTo, peerName: fromName, curve: curve, kdf: kdf, sharedData: sharedData)
        guard fromConfirm == toConfirm else {
            throw TransportError.keyConfirmationFailed(
                from: fromName, fromCheckValue: fromConfirm, to: toName, toCheckValue: toConfirm)
        }

        // 5. The token keys, read back; any failure undoes what this run created.
        let fromRecord = try await installAgreedKey(
            on: from, ephemeralID: id, peer: keyForFrom, peerName: toName, curve: curve, kdf: kdf,
            sharedData: sharedData,
            expected: fromConfirm)
        let toRecord: KeyRecord
        do {
            toRecord = try await installAgreedKey(
                on: to, ephemeralID: id, peer: keyForTo, peerName: fromName, curve: curve, kdf: kdf,
                sharedData: sharedData, expected: toConfirm)
        } catch {
            let undone = await destroyInstalledKey(on: from, label: label)
            throw Self.adding(compensation: "on \(fromName): \(undone)", to: error)
        }

        var warnings: [String] = []
        if !useKDF {
            warnings.append(
                "CKD_NULL: the key is the trailing 32 bytes of the ECDH shared secret's x-coordinate, not an "
                    + "SP 800-56C key derivation (the token offers no CKD_SHA256_KDF); key confirmation by check "
                    + "value was done before the key was installed")
        }
        return TransportAgreementResult(
            from: identities.0, to: identities.1, label: label, curve: curve.rawValue,
            kdf: useKDF ? "CKD_SHA256_KDF" : "CKD_NULL", isSP800_56C: useKDF,
            fromEphemeralPoint: Hex.encode(SHA256.hash(data: fromPoint)),
            toEphemeralPoint: Hex.encode(SHA256.hash(data: toPoint)),
            checkValue: fromConfirm, fromRecord: fromRecord, toRecord: toRecord, warnings: warnings,
            outcome: "agreed")
    }

    /// Derives the token key on `endpoint`, checks it and returns its record; on failure the key this
    /// call derived is destroyed.
    private func installAgreedKey(
        on endpoint: any HSMEndpoint, ephemeralID: [UInt8], peer: EphemeralAgreementKey, peerName: String,
        curve: AgreementCurve, kdf: AgreementKDF, sharedData: [UInt8], expected: String
    ) async throws -> KeyRecord {
        try await endpoint.installAgreedKey(
            ephemeralID: ephemeralID, peer: peer, peerName: peerName, curve: curve, kdf: kdf, sharedData: sharedData,
            label: label, expectedCheckValue: expected)
    }

    /// Destroys the transport key this run installed on `endpoint` (the other side failed).
    private func destroyInstalledKey(on endpoint: any HSMEndpoint, label: String) async -> String {
        await endpoint.destroyInstalledTransportKey(label: label)
    }

    /// `error` with `compensation` added to its message where it has room for one.
    static func adding(compensation: String, to error: any Error) -> any Error {
        switch error {
        case TransportError.hsmFailure(let hsm, let operation, let cause, let existing):
            return TransportError.hsmFailure(
                hsm: hsm, operation: operation, error: cause,
                compensation: [existing, compensation].compactMap { $0 }.joined(separator: "; "))
        case TransportError.installVerificationFailed(let hsm, let problems, let existing):
            return TransportError.installVerificationFailed(
                hsm: hsm, problems: problems, compensation: existing + "; " + compensation)
        default:
            return error
        }
    }

    /// The agreement transcript bound into `CKD_SHA256_KDF`'s shared data: SHA-256 over the
    /// context, each field length-prefixed.
    private func transcript(
        curve: AgreementCurve, identities: (TransportTokenIdentity, TransportTokenIdentity), fromPoint: [UInt8],
        toPoint: [UInt8]
    ) -> [UInt8] {
        var hasher = SHA256()
        let fields: [[UInt8]] = [
            Array("hsmsync/transport-agreement/v1".utf8), Array(fleet.utf8), Array(label.utf8),
            Array(curve.rawValue.utf8), Array(identities.0.tokenSerial.utf8), Array(identities.1.tokenSerial.utf8),
            fromPoint, toPoint,
        ]
        for field in fields {
            withUnsafeBytes(of: UInt32(field.count).bigEndian) { hasher.update(bufferPointer: $0) }
            hasher.update(data: field)
        }
        return Array(hasher.finalize())
    }
}
