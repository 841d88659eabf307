public import HSMSyncModel
import PKCS11
public import SecureMemory

/// ``TransportEndpoint`` on a local PKCS#11 token.
extension HSMWorker {
    public func inspectTransportKey(label: String) throws -> TransportKeyInspection {
        let refused = refusedAttributes
        return try Self.device { try withSession { try $0.inspectTransportKey(label: label, refused: refused) } }
    }

    public func checkTransportKeyInstallable(label: String) throws {
        let hsm = name
        try withSession { session in
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

    public func randomBytes(count: Int) throws -> SecretBytes {
        let hsm = name
        do {
            return try withSession { try $0.generateRandom(count: count) }
        } catch let error as PKCS11Error {
            throw TransportError.hsmFailure(
                hsm: hsm, operation: "drawing from the HSM's random generator (C_GenerateRandom)",
                error: DeviceError(error), compensation: nil)
        }
    }

    public func installTransportKey(
        _ key: SecretBox, label: String, preference: TransportKeyImportPreference, expectedCheckValue: String
    ) throws -> TransportKeyImport {
        let hsm = name
        let refused = refusedAttributes
        return try withSession { session in
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
                    key.bytes, label: label, preference: preference, hsm: hsm, refused: refused)
            } catch {
                let undone = session.removeNewObjects(since: before, label: label)
                guard case TransportError.hsmFailure(let hsm, let operation, let cause, _) = error else { throw error }
                throw TransportError.hsmFailure(hsm: hsm, operation: operation, error: cause, compensation: undone)
            }
            let problems: [String]
            let inspection: TransportKeyInspection
            do {
                let found = try session.objects(labelled: label)
                inspection = try session.inspectTransportKey(imported.handle, label: label, refused: refused)
                problems = TransportKeyReadBack.problems(inspection, objects: found.count, expected: expectedCheckValue)
            } catch let error as PKCS11Error {
                let undone = session.removeNewObjects(since: before, label: label, ours: imported.handle)
                throw TransportError.hsmFailure(
                    hsm: hsm, operation: "reading the installed key back", error: DeviceError(error),
                    compensation: undone)
            }
            guard problems.isEmpty, let record = inspection.record else {
                let undone = session.removeNewObjects(since: before, label: label, ours: imported.handle)
                throw TransportError.installVerificationFailed(hsm: hsm, problems: problems, compensation: undone)
            }
            return TransportKeyImport(
                method: imported.method, importKeyFingerprint: imported.importKeyFingerprint,
                fallbackReason: imported.fallbackReason, record: record)
        }
    }

    public func agreementCurves(transportLabel label: String) throws -> Set<AgreementCurve> {
        let hsm = name
        return try withSession { session in
            try session.requireLabelFree(label, hsm: hsm)
            do {
                let (curves, missing) = try session.agreementCurves()
                if let missing { throw TransportError.capabilityMissing(hsm: hsm, reason: missing) }
                return curves
            } catch let error as PKCS11Error {
                throw TransportError.hsmFailure(
                    hsm: hsm, operation: "reading the mechanism list", error: DeviceError(error), compensation: nil)
            }
        }
    }

    public func makeEphemeralKey(curve: AgreementCurve, id: [UInt8]) throws -> EphemeralAgreementKey {
        let hsm = name
        return try withSession { try $0.makeEphemeralKey(curve: curve, id: id, hsm: hsm) }
    }

    public func agreedKeyCheckValue(
        ephemeralID id: [UInt8], peer: EphemeralAgreementKey, peerName: String, curve: AgreementCurve,
        kdf: AgreementKDF, sharedData: [UInt8]
    ) throws -> String {
        let hsm = name
        let refused = refusedAttributes
        return try withSession { session in
            let derived = try session.deriveAgreedKey(
                ephemeralID: id, peer: peer, peerName: peerName, curve: curve, kdf: kdf, sharedData: sharedData,
                label: "hsmsync-transport-confirm", token: false, hsm: hsm, refused: refused)
            try? session.destroyObject(derived.handle)
            return derived.checkValue
        }
    }

    public func installAgreedKey(
        ephemeralID id: [UInt8], peer: EphemeralAgreementKey, peerName: String, curve: AgreementCurve,
        kdf: AgreementKDF, sharedData: [UInt8], label: String, expectedCheckValue: String
    ) throws -> KeyRecord {
        let hsm = name
        let refused = refusedAttributes
        return try withSession { session in
            try session.requireLabelFree(label, hsm: hsm)
            let derived = try session.deriveAgreedKey(
                ephemeralID: id, peer: peer, peerName: peerName, curve: curve, kdf: kdf, sharedData: sharedData,
                label: label, token: true, hsm: hsm, refused: refused)
            let problems: [String]
            let inspection: TransportKeyInspection
            do {
                let found = try session.objects(labelled: label)
                inspection = try session.inspectTransportKey(derived.handle, label: label, refused: refused)
                problems = TransportKeyReadBack.problems(inspection, objects: found.count, expected: expectedCheckValue)
            } catch let error as PKCS11Error {
                try? session.destroyObject(derived.handle)
                throw TransportError.hsmFailure(
                    hsm: hsm, operation: "reading the agreed key back", error: DeviceError(error),
                    compensation: "the key this run derived was destroyed")
            }
            guard problems.isEmpty, let record = inspection.record else {
                let compensation: String
                do {
                    try session.destroyObject(derived.handle)
                    compensation = "the key this run derived was destroyed"
                } catch {
                    compensation = "the key this run derived could NOT be destroyed (\(error)): inspect the token"
                }
                throw TransportError.installVerificationFailed(hsm: hsm, problems: problems, compensation: compensation)
            }
            return record
        }
    }

    public func destroyInstalledTransportKey(label: String) -> String {
        do {
            return try withSession { session in
                let handles = try session.objects(labelled: label)
                guard handles.count == 1 else { return "\(handles.count) objects carry the label; none was destroyed" }
                try session.destroyObject(handles[0])
                return "the key this run derived was destroyed"
            }
        } catch {
            return "the key this run derived could NOT be destroyed (\(error)): inspect the token"
        }
    }

    public func destroyEphemeralKey(id: [UInt8]) {
        _ = try? withSession { $0.destroyEphemeralKey(id: id) }
    }
}
