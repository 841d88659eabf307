import HSMSyncModel
import PKCS11
import SignedLog

extension CeremonyRunner {
    /// Generates the key with exactly the template the ceremony file spells out, after checking on
    /// the device that the label is still free (boulder: "expected no preexisting objects with
    /// label"). `CKA_MODIFIABLE` goes last: SoftHSM2 refuses attributes after a false one.
    func generateKey(_ step: CeremonyStep, _ spec: KeyGenerationSpec) async throws -> [String: JSONValue] {
        let worker = try await worker(spec.hsm)
        let flags = spec.attributes
        @Sendable func flag(_ name: String) -> Bool { flags[name] ?? false }
        let common: [Attribute] = [.bool(.token, true), .label(spec.label), .id(spec.id)]
        let secretFlags: [Attribute] = [
            .bool(.private, true), .bool(.sensitive, flag("sensitive")), .bool(.extractable, flag("extractable")),
            .bool(.wrapWithTrusted, flag("wrap-with-trusted")),
        ]
        let record = try await worker.withSession { session -> KeyRecord in
            guard try session.findObjects(matching: [.label(spec.label)]).isEmpty else {
                throw CeremonyError.stepFailed(
                    step: step.id, reason: "\(spec.hsm) already holds an object labelled \"\(spec.label)\"",
                    category: .invalidInput)
            }
            let handle: ObjectHandle
            switch spec.type {
            case .aes:
                handle = try session.generateKey(
                    .aesKeyGen,
                    template: [.class(.secretKey), .keyType(.aes)] + common + secretFlags + [
                        .ulong(.valueLength, UInt(spec.size! / 8)), .bool(.sign, flag("sign")),
                        .bool(.verify, flag("verify")), .bool(.encrypt, flag("encrypt")),
                        .bool(.decrypt, flag("decrypt")), .bool(.wrap, flag("wrap")), .bool(.unwrap, flag("unwrap")),
                        .bool(.derive, flag("derive")), .bool(.modifiable, flag("modifiable")),
                    ])
            case .ec, .rsa:
                let publicSpecific: [Attribute]
                let mechanism: Mechanism
                if spec.type == .ec {
                    mechanism = .ecKeyPairGen
                    publicSpecific = [.bytes(.ecParams, AgreementCurve(rawValue: spec.curve!)!.ecParams)]
                } else {
                    mechanism = Mechanism(.rsaPKCSKeyPairGen)
                    publicSpecific = [
                        .ulong(.modulusBits, UInt(spec.size!)), .bytes(.publicExponent, [0x01, 0x00, 0x01]),
                    ]
                }
                let pair = try session.generateKeyPair(
                    mechanism,
                    publicKeyTemplate: common + publicSpecific + [
                        .bool(.private, false), .bool(.verify, flag("verify")), .bool(.encrypt, flag("encrypt")),
                        .bool(.wrap, flag("wrap")), .bool(.derive, false), .bool(.modifiable, flag("modifiable")),
                    ],
                    privateKeyTemplate: common + secretFlags + [
                        .bool(.sign, flag("sign")), .bool(.decrypt, flag("decrypt")), .bool(.unwrap, flag("unwrap")),
                        .bool(.derive, flag("derive")), .bool(.modifiable, flag("modifiable")),
                    ])
                handle = pair.privateKey
            }
            return try session.keyRecord(of: handle)
        }
        let serial = await worker.token?.serialNumber ?? ""
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
