public import Crypto
public import PKCS11
import SecureMemory

/// Keys for drifted-fleet tests, imported by value so the same material can be placed on several
/// tokens (or deliberately different material under one identity).
extension Session {
    /// A transport key as hsmsync requires it (AES-256, WRAP/UNWRAP only, locked down), by value.
    @discardableResult
    public func installTestTransportKey(
        _ value: [UInt8] = TestMaterial.transportKey, label: String = "hsmsync-transport", extra: [Attribute] = []
    ) throws -> ObjectHandle {
        try createObject(
            [
                .class(.secretKey), .keyType(.aes), .bool(.token, true), .bool(.private, true), .label(label),
                .bool(.wrap, true), .bool(.unwrap, true), .bool(.encrypt, false), .bool(.decrypt, false),
                .bool(.sign, false), .bool(.verify, false), .bool(.derive, false), .bool(.extractable, false),
                .bool(.sensitive, true), .bool(.modifiable, false), .bool(.copyable, false),
            ] + extra, secretValue: SecretBytes(copying: value))
    }

    /// An AES key by value. Defaults: extractable with WRAP_WITH_TRUSTED, CKA_SIGN (so it gets a CMAC
    /// fingerprint) and nothing risky, so a key in parity produces no finding at all.
    @discardableResult
    public func importTestAESKey(
        label: String, id: [UInt8], value: [UInt8], extractable: Bool = true, wrapWithTrusted: Bool = true,
        sign: Bool = true, extra: [Attribute] = []
    ) throws -> ObjectHandle {
        let base: [Attribute] = [
            .class(.secretKey), .keyType(.aes), .bool(.token, true), .bool(.private, true), .label(label), .id(id),
            .bool(.sensitive, true), .bool(.extractable, extractable), .bool(.wrapWithTrusted, wrapWithTrusted),
            .bool(.sign, sign), .bool(.verify, sign), .bool(.encrypt, false), .bool(.decrypt, false),
            .bool(.wrap, false), .bool(.unwrap, false), .bool(.derive, false),
        ]
        return try createObject(Self.merge(base, extra), secretValue: SecretBytes(copying: value))
    }

    /// A P-256 key pair by value: the private key (non-extractable by default) and its public key
    /// object, sharing label and ID.
    public func importTestECPair(
        label: String, id: [UInt8], key: P256.Signing.PrivateKey, extractable: Bool = false,
        privateExtra: [Attribute] = []
    ) throws {
        let parameters: [UInt8] = [0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07]
        let point = Array(key.publicKey.x963Representation)
        let base: [Attribute] = [
            .class(.privateKey), .keyType(.ec), .bool(.token, true), .bool(.private, true), .label(label), .id(id),
            .bytes(.ecParams, parameters), .bool(.sensitive, true), .bool(.extractable, extractable),
            .bool(.wrapWithTrusted, true), .bool(.sign, true), .bool(.decrypt, false), .bool(.unwrap, false),
            .bool(.signRecover, false), .bool(.derive, false),
        ]
        _ = try createObject(
            Self.merge(base, privateExtra), secretValue: SecretBytes(copying: Array(key.rawRepresentation)))
        _ = try createObject([
            .class(.publicKey), .keyType(.ec), .bool(.token, true), .bool(.private, false), .label(label), .id(id),
            .bytes(.ecParams, parameters), .bytes(.ecPoint, [0x04, UInt8(point.count)] + point), .bool(.verify, true),
            .bool(.encrypt, false), .bool(.wrap, false), .bool(.verifyRecover, false), .bool(.derive, false),
        ])
    }

    /// `extra` replaces attributes of the same type in `base`.
    private static func merge(_ base: [Attribute], _ extra: [Attribute]) -> [Attribute] {
        base.filter { attribute in !extra.contains { $0.type == attribute.type } } + extra
    }
}

/// Fixed test material (never used outside tests).
public enum TestMaterial {
    public static let transportKey = [UInt8](repeating: 0x5A, count: 32)
    public static let otherTransportKey = [UInt8](repeating: 0xA5, count: 32)

    /// A distinct AES-256 value per seed.
    public static func aesKey(_ seed: UInt8) -> [UInt8] {
        (0..<32).map { UInt8(truncatingIfNeeded: Int($0) * 7 + Int(seed) * 13 + 1) }
    }

    /// A deterministic P-256 key per seed.
    public static func ecKey(_ seed: UInt8) -> P256.Signing.PrivateKey {
        var raw = [UInt8](repeating: 0, count: 32)
        raw[31] = seed
        raw[0] = 0x11
        return try! P256.Signing.PrivateKey(rawRepresentation: raw)
    }
}
