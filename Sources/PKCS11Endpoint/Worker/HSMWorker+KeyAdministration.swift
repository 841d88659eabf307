public import HSMSyncModel
import PKCS11

/// ``KeyAdministrationEndpoint`` on a local PKCS#11 token.
extension HSMWorker {
    public func logKey(label: String) throws -> HSMPublicKey? {
        try Self.device {
            try withSession { session -> HSMPublicKey? in
                let privateKeys = try session.findObjects(matching: [.class(.privateKey), .label(label)])
                let publicKeys = try session.findObjects(matching: [.class(.publicKey), .label(label)])
                guard privateKeys.count == 1, publicKeys.count == 1 else { return nil }
                let set = try session.attributes([.keyType, .ecParams, .ecPoint], of: publicKeys[0])
                guard let keyType = set.keyType else { return nil }
                return HSMPublicKey(
                    keyType: SpecNames.keyAlgorithm(keyType), parameters: set.bytes(.ecParams) ?? [],
                    point: set.bytes(.ecPoint) ?? [])
            }
        }
    }

    public func sign(_ message: [UInt8], keyLabel label: String, mechanism: MechanismName) throws -> [UInt8] {
        guard let type = SpecNames.mechanismType(mechanism) else {
            throw HSMError(
                hsm: name,
                .device(
                    DeviceError(
                        function: "C_SignInit", code: "CKR_MECHANISM_INVALID", value: 0x70, leavesOutcomeUnknown: false),
                    operation: "signing with \(mechanism)"))
        }
        // A token object's handle holds for this application until C_Finalize: found once, so a
        // checkpoint costs one C_Sign, not a search as well.
        let key: ObjectHandle
        if let cached = signingKeys[label] {
            key = cached
        } else {
            key = try Self.device {
                try withSession { try $0.findObject(matching: [.class(.privateKey), .label(label)]) }
            }
            signingKeys[label] = key
        }
        return try Self.device { try withSession { try $0.sign(message, with: key, mechanism: Mechanism(type)) } }
    }

    public func generateLogKey(label: String) throws -> String {
        let hsm = name
        return try Self.device {
            try withSession { session in
                guard try session.findObjects(matching: [.label(label)]).isEmpty else {
                    throw HSMError(hsm: hsm, .objectNotUnique(identity: "an object labelled \"\(label)\"", count: 1))
                }
                let edwards = try session.module.mechanisms(session.slot).contains(.ecEdwardsKeyPairGen)
                let curve = NamedCurve.all.first { $0.name == (edwards ? "Ed25519" : "P-256") }!
                _ = try session.generateKeyPair(
                    edwards ? .ecEdwardsKeyPairGen : .ecKeyPairGen,
                    publicKeyTemplate: [
                        .bytes(.ecParams, curve.oidDER), .bool(.token, true), .label(label), .bool(.verify, true),
                        .bool(.encrypt, false), .bool(.wrap, false), .bool(.derive, false),
                    ],
                    privateKeyTemplate: [
                        .bool(.token, true), .bool(.private, true), .label(label), .bool(.sign, true),
                        .bool(.decrypt, false), .bool(.unwrap, false), .bool(.derive, false), .bool(.sensitive, true),
                        .bool(.extractable, false),
                    ])
                return curve.name
            }
        }
    }

    public func dataObjectValues(label: String) throws -> [[UInt8]] {
        try Self.device {
            try withSession { session in
                try session.findObjects(matching: [.class(.data), .label(label)]).compactMap {
                    try session.attributes([.value], of: $0).bytes(.value)
                }
            }
        }
    }

    public func replaceDataObject(label: String, value: [UInt8]) throws {
        try Self.device {
            try withSession { session in
                let old = try session.findObjects(matching: [.class(.data), .label(label)])
                _ = try session.createObject([
                    .class(.data), .bool(.token, true), .bool(.private, true), .label(label),
                    .bytes(.application, Array("hsmsync".utf8)), .bytes(.value, value),
                ])
                for object in old { try session.destroyObject(object) }
            }
        }
    }
}
