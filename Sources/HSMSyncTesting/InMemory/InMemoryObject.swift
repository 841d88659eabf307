import Crypto
public import HSMSyncModel

/// One AES secret key held by an ``InMemoryToken``: its identity, its boolean attributes and its
/// value. The in-memory endpoint models what the engine's audit and reconcile logic needs (identity,
/// policy, material compared by fingerprint), not a PKCS#11 token.
public struct InMemoryObject: Sendable, Hashable {
    public let label: String
    /// `CKA_ID` as lowercase hex.
    public let id: String
    /// Every boolean attribute ``KeyTemplate/booleanAttributes(for:)`` defines for secret keys.
    public let flags: [AttributeName: Bool]
    public let value: [UInt8]

    public init(label: String, id: String, flags: [AttributeName: Bool], value: [UInt8]) {
        self.label = label
        self.id = id
        self.flags = flags
        self.value = value
    }

    /// An extractable AES key with CKA_SIGN/VERIFY, without CKA_WRAP_WITH_TRUSTED, and nothing risky
    /// (like the SoftHSM2 tests' `importTestAESKey`), so a key in parity produces no finding.
    public static func aesKey(label: String, id: String, value: [UInt8]) -> InMemoryObject {
        var flags = Dictionary(uniqueKeysWithValues: KeyTemplate.booleanAttributes(for: .secretKey).map { ($0, false) })
        for name: AttributeName in [.private, .sensitive, .extractable, .sign, .verify] {
            flags[name] = true
        }
        // SoftHSM2's defaults where the SoftHSM2 tests set nothing.
        flags[.modifiable] = true
        flags[.copyable] = true
        flags[.destroyable] = true
        return InMemoryObject(label: label, id: id, flags: flags, value: value)
    }

    /// A transport key as hsmsync requires one: WRAP and UNWRAP only, locked down.
    public static func transportKey(label: String, value: [UInt8]) -> InMemoryObject {
        var flags = Dictionary(uniqueKeysWithValues: KeyTemplate.booleanAttributes(for: .secretKey).map { ($0, false) })
        for name: AttributeName in [.private, .sensitive, .wrap, .unwrap, .destroyable] { flags[name] = true }
        return InMemoryObject(label: label, id: "", flags: flags, value: value)
    }

    public var identity: KeyIdentity { KeyIdentity(objectClass: .secretKey, label: label, id: id) }

    /// The object as a scan reports it, with `fingerprint`.
    func record(fingerprint: Fingerprint) -> KeyRecord {
        KeyRecord(
            objectClass: .secretKey, keyType: .aes, size: value.count * 8, curve: nil, label: label, id: id,
            usage: AttributeName.usages.compactMap { flags[$0.attribute] == true ? $0.usage : nil },
            attributes: .init(
                token: true, private: flags[.private], modifiable: flags[.modifiable], copyable: flags[.copyable],
                destroyable: flags[.destroyable], sensitive: flags[.sensitive], extractable: flags[.extractable],
                wrapWithTrusted: flags[.wrapWithTrusted], trusted: false),
            provenance: .init(local: false, alwaysSensitive: false, neverExtractable: false), allowedMechanisms: nil,
            fingerprint: fingerprint, oddities: [])
    }

    /// The replication template of the object.
    var template: KeyTemplate {
        KeyTemplate(
            objectClass: .secretKey, keyType: .aes, label: label, id: id, flags: flags, allowedMechanisms: nil,
            publicAttributes: [:], valueLength: value.count)
    }

    /// RFC 3394 wrap of the value under `kek`, as `C_WrapKey(CKM_AES_KEY_WRAP)` computes it.
    func wrapped(under kek: [UInt8]) throws -> [UInt8] {
        Array(try AES.KeyWrap.wrap(SymmetricKey(data: value), using: SymmetricKey(data: kek)))
    }
}
