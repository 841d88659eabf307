public import HSMSyncModel
import PKCS11
public import SecureMemory

/// The ceremony side of ``KeyAdministrationEndpoint`` on a local PKCS#11 token: generate and
/// destroy keys, and a rehearsal's stand-ins.
extension HSMWorker {
    /// Generates the key with exactly the template the ceremony file spells out, after checking on
    /// the device that the label is still free (boulder: "expected no preexisting objects with
    /// label"). `CKA_MODIFIABLE` goes last: SoftHSM2 refuses attributes after a false one.
    public func generateKey(_ spec: KeyGenerationSpec) throws -> KeyRecord {
        let flags = spec.attributes
        @Sendable func flag(_ name: String) -> Bool { flags[name] ?? false }
        let common: [Attribute] = [.bool(.token, true), .label(spec.label), .id(spec.id)]
        let secretFlags: [Attribute] = [
            .bool(.private, true), .bool(.sensitive, flag("sensitive")), .bool(.extractable, flag("extractable")),
            .bool(.wrapWithTrusted, flag("wrap-with-trusted")),
        ]
        let hsm = name
        return try Self.device {
            try withSession { session -> KeyRecord in
                guard try session.findObjects(matching: [.label(spec.label)]).isEmpty else {
                    throw HSMError(
                        hsm: hsm, .objectNotUnique(identity: "an object labelled \"\(spec.label)\"", count: 1))
                }
                let handle: ObjectHandle
                switch spec.type {
                case .aes:
                    handle = try session.generateKey(
                        .aesKeyGen,
                        template: [.class(.secretKey), .keyType(.aes)] + common + secretFlags + [
                            .ulong(.valueLength, UInt(spec.size! / 8)), .bool(.sign, flag("sign")),
                            .bool(.verify, flag("verify")), .bool(.encrypt, flag("encrypt")),
                            .bool(.decrypt, flag("decrypt")), .bool(.wrap, flag("wrap")),
                            .bool(.unwrap, flag("unwrap")),
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
                            .bool(.sign, flag("sign")), .bool(.decrypt, flag("decrypt")),
                            .bool(.unwrap, flag("unwrap")),
                            .bool(.derive, flag("derive")), .bool(.modifiable, flag("modifiable")),
                        ])
                    handle = pair.privateKey
                }
                return try session.keyRecord(of: handle)
            }
        }
    }

    public func countObjects(classes: [ObjectKind], label: String, id: [UInt8]) throws -> [Int] {
        let templates = Self.templates(classes: classes, label: label, id: id)
        return try Self.device {
            try withSession { session in try templates.map { try session.findObjects(matching: $0).count } }
        }
    }

    public func destroyOneEach(classes: [ObjectKind], label: String, id: [UInt8]) throws -> [Int] {
        let templates = Self.templates(classes: classes, label: label, id: id)
        return try Self.device {
            try withSession { session -> [Int] in
                let found = try templates.map { try session.findObjects(matching: $0) }
                guard found.allSatisfy({ $0.count == 1 }) else { return found.map(\.count) }
                for handles in found { try session.destroyObject(handles[0]) }
                return found.map(\.count)
            }
        }
    }

    public func createStandInTransportKey(label: String, value: SecretBox) throws {
        try Self.device {
            try withSession { session in
                _ = try value.withUnsafeBytes { bytes in
                    try session.createObject(
                        TransportKeyTemplate.attributes(label: label), secretValue: SecretBytes(copying: bytes))
                }
            }
        }
    }

    private static func templates(classes: [ObjectKind], label: String, id: [UInt8]) -> [[Attribute]] {
        classes.compactMap(SpecNames.objectClass).map { [.class($0), .label(label)] + (id.isEmpty ? [] : [.id(id)]) }
    }
}
