import HSMSyncModel
import SignedLog

extension CeremonyRunner {
    /// Generates the key with exactly the template the ceremony file spells out, after checking on
    /// the device that the label is still free (boulder: "expected no preexisting objects with
    /// label"). `CKA_MODIFIABLE` goes last: SoftHSM2 refuses attributes after a false one.
    func generateKey(_ step: CeremonyStep, _ spec: KeyGenerationSpec) async throws -> [String: JSONValue] {
        let worker = try await worker(spec.hsm)
        guard try await worker.countObjects(label: spec.label, objectClass: nil) == 0 else {
            throw CeremonyError.stepFailed(
                step: step.id, reason: "\(spec.hsm) already holds an object labelled \"\(spec.label)\"",
                category: .invalidInput)
        }
        let record = try await worker.generateKey(spec)
        let serial = await worker.token()?.serialNumber ?? ""
        say("  generated \(spec.type.rawValue) \"\(spec.label)\" on \(spec.hsm)")
        var outputs: [String: JSONValue] = [
            "hsm": .string(spec.hsm), "serial": .string(serial), "label": .string(spec.label),
            "id": .string(Hex.encode(spec.id)), "class": .string(record.objectClass.rawValue),
            "key_type": .string(record.keyType?.rawValue ?? spec.type.rawValue),
        ]
        if let size = record.size { outputs["size"] = .integer(Int64(size)) }
        if let curve = record.curve { outputs["curve"] = .string(curve) }
        if let digest = record.fingerprint.digest { outputs["fingerprint"] = .string(digest) }
        return outputs
    }
}
