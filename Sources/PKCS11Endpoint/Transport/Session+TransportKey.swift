public import HSMSyncModel
public import PKCS11
public import SLIP39
public import SecureMemory
import SignedLog

extension Session: RandomByteSource {
    /// `count` bytes from the HSM's random generator (`C_GenerateRandom`): transport keys and the
    /// randomness of their share sets come from the HSM, never from the host.
    public func randomBytes(count: Int) throws -> SecretBytes {
        try generateRandom(count: count)
    }
}

extension Session {
    /// The objects (any class) labelled `label`.
    func objects(labelled label: String) throws(PKCS11Error) -> [ObjectHandle] {
        try findObjects(matching: [.label(label)])
    }

    /// Inspects what this HSM holds under `label`: how many objects, the one key's attributes and
    /// policy violations, and its transport check value.
    ///
    /// The check value wraps a public probe key, which reveals nothing even under a key that breaks
    /// the policy; it is computed only when the key has `CKA_WRAP` and allows `CKM_AES_KEY_WRAP`.
    public func inspectTransportKey(label: String, refused: Set<AttributeName> = []) throws(PKCS11Error)
        -> TransportKeyInspection
    {
        let handles = try objects(labelled: label)
        guard handles.count == 1 else {
            return TransportKeyInspection(
                label: label, objects: handles.count, record: nil,
                violations: handles.isEmpty
                    ? [] : ["is ambiguous: \(handles.count) objects carry the label \"\(label)\""],
                checkValue: nil,
                checkValueUnavailable: handles.isEmpty
                    ? "no transport key" : "\(handles.count) objects carry the transport label")
        }
        return try inspectTransportKey(handles[0], label: label, refused: refused)
    }

    /// Inspects one transport key object (for the read-back right after it was created).
    func inspectTransportKey(_ handle: ObjectHandle, label: String, refused: Set<AttributeName> = [])
        throws(PKCS11Error) -> TransportKeyInspection
    {
        let record = try keyRecord(of: handle)
        let unwrapTemplate = try template(.unwrapTemplate, of: handle)
        let violations =
            TransportKeyPolicy.violations(record)
            + TransportKeyTemplate.lockdownViolations(record, unwrapTemplate: unwrapTemplate, refused: refused)
        var checkValue: String?
        var unavailable: String?
        let allowsKeyWrap = record.allowedMechanisms?.contains(MechanismType.aesKeyWrap.description) ?? true
        if !record.usage.contains("wrap") {
            unavailable = "the key lacks CKA_WRAP, so no check value can be computed"
        } else if !allowsKeyWrap {
            unavailable = "the key does not allow CKM_AES_KEY_WRAP, so no check value can be computed"
        } else {
            do {
                checkValue = try transportCheckValue(of: handle)
            } catch {
                if error.code.leavesOutcomeUnknown || error.code == .objectHandleInvalid { throw error }
                unavailable = "the check value could not be computed: \(error)"
            }
        }
        return TransportKeyInspection(
            label: label, objects: 1, record: record, violations: violations, checkValue: checkValue,
            checkValueUnavailable: unavailable)
    }

    /// Refuses when anything already carries `label` (hsmsync never replaces a transport key).
    func requireLabelFree(_ label: String, hsm: String) throws {
        let inspection: TransportKeyInspection
        do {
            inspection = try inspectTransportKey(label: label)
        } catch {
            throw TransportError.hsmFailure(
                hsm: hsm, operation: "looking for objects labelled \"\(label)\"", error: DeviceError(error),
                compensation: nil)
        }
        guard inspection.objects == 0 else {
            var detail: String?
            if let record = inspection.record {
                let kind = [record.keyType?.rawValue, record.objectClass.rawValue].compactMap { $0 }.joined(
                    separator: " ")
                detail =
                    inspection.violations.isEmpty
                    ? "\(kind), check value \(inspection.checkValue ?? "unavailable")"
                    : "\(kind) that \(inspection.violations.joined(separator: "; "))"
            }
            throw TransportError.labelInUse(hsm: hsm, label: label, objects: inspection.objects, detail: detail)
        }
    }
}
