import Crypto
import CryptoExtras
import Foundation
import HSMSyncTesting
import PKCS11
import SecureMemory
import Testing

/// Key management and crypto calls, checked against swift-crypto as an independent oracle.
@Suite("Keys, wrapping, signing, derivation (SoftHSM2)")
struct KeyManagementTests {
    static let p256Parameters: [UInt8] = [0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07]
    static let ed25519Parameters: [UInt8] = [0x06, 0x03, 0x2b, 0x65, 0x70]

    /// Creates an AES key of known value as a session object.
    static func knownAESKey(_ session: borrowing Session, _ bytes: [UInt8], extra: [Attribute]) throws -> ObjectHandle {
        try session.createObject(
            [.class(.secretKey), .keyType(.aes), .bool(.token, false)] + extra, secretValue: SecretBytes(copying: bytes)
        )
    }

    @Test("CKM_AES_KEY_WRAP output equals RFC 3394 (swift-crypto), and unwraps back")
    func aesKeyWrapMatchesOracle() async throws {
        let token = try await SoftHSMFixture.shared.makeToken("kw")
        let session = try await SoftHSMFixture.shared.module().loggedInSession(token)
        let kekBytes = (0..<32).map { UInt8($0) }
        let keyBytes = (0..<32).map { UInt8(0xF0 ^ $0) }
        let kek = try Self.knownAESKey(session, kekBytes, extra: [.bool(.wrap, true), .bool(.unwrap, true)])
        let key = try Self.knownAESKey(session, keyBytes, extra: [.bool(.extractable, true), .bool(.sensitive, true)])

        let wrapped = try session.wrapKey(key, with: kek, mechanism: .aesKeyWrap)
        let expected = try AES.KeyWrap.wrap(SymmetricKey(data: keyBytes), using: SymmetricKey(data: kekBytes))
        #expect(wrapped == Array(expected))

        let unwrapped = try session.unwrapKey(
            wrapped, with: kek, mechanism: .aesKeyWrap,
            template: [
                .class(.secretKey), .keyType(.aes), .bool(.token, false), .bool(.sensitive, true),
                .bool(.extractable, true), .label("back"),
            ])
        #expect(try session.wrapKey(unwrapped, with: kek, mechanism: .aesKeyWrap) == wrapped)
    }

    @Test("CKM_AES_KEY_WRAP_PAD round-trips an EC private key; a flipped bit is refused")
    func keyWrapPadRoundTrip() async throws {
        let token = try await SoftHSMFixture.shared.makeToken("kwp")
        let session = try await SoftHSMFixture.shared.module().loggedInSession(token)
        let kek = try session.generateKey(
            .aesKeyGen,
            template: [
                .class(.secretKey), .keyType(.aes), .ulong(.valueLength, 32), .bool(.token, false),
                .bool(.wrap, true), .bool(.unwrap, true), .bool(.extractable, false),
            ])
        let pair = try session.generateKeyPair(
            .ecKeyPairGen,
            publicKeyTemplate: [.bytes(.ecParams, Self.p256Parameters), .bool(.token, false), .bool(.verify, true)],
            privateKeyTemplate: [
                .bool(.token, false), .bool(.sign, true), .bool(.sensitive, true),
                .bool(.extractable, true),
            ])
        let blob = try session.wrapKey(pair.privateKey, with: kek, mechanism: .aesKeyWrapPad)
        #expect(blob.count % 8 == 0 && blob.count > 40)
        let template: [Attribute] = [
            .class(.privateKey), .keyType(.ec), .bool(.token, false), .bool(.sign, true), .bool(.sensitive, true),
        ]
        let copy = try session.unwrapKey(blob, with: kek, mechanism: .aesKeyWrapPad, template: template)
        // The copy signs, and the original public key verifies it.
        let digest = Array(SHA256.hash(data: Data("pairing".utf8)))
        let signature = try session.sign(digest, with: copy, mechanism: .ecdsa)
        #expect(try session.verify(digest, signature: signature, with: pair.publicKey, mechanism: .ecdsa))

        var tampered = blob
        tampered[tampered.count / 2] ^= 0x01
        #expect(throws: PKCS11Error.self) {
            try session.unwrapKey(tampered, with: kek, mechanism: .aesKeyWrapPad, template: template)
        }
    }

    @Test("Wrapping a non-extractable key: C_WrapKey: CKR_KEY_UNEXTRACTABLE (0x6a)")
    func unextractable() async throws {
        let token = try await SoftHSMFixture.shared.makeToken("unext")
        let session = try await SoftHSMFixture.shared.module().loggedInSession(token)
        let kek = try session.generateKey(
            .aesKeyGen,
            template: [
                .class(.secretKey), .keyType(.aes), .ulong(.valueLength, 32), .bool(.token, false), .bool(.wrap, true),
            ])
        let locked = try session.generateKey(
            .aesKeyGen,
            template: [
                .class(.secretKey), .keyType(.aes), .ulong(.valueLength, 32), .bool(.token, false),
                .bool(.extractable, false),
            ])
        do {
            _ = try session.wrapKey(locked, with: kek, mechanism: .aesKeyWrap)
            Issue.record("wrapped a non-extractable key")
        } catch {
            #expect(error == PKCS11Error(code: .keyUnextractable, function: .wrapKey))
            #expect(error.description == "C_WrapKey: CKR_KEY_UNEXTRACTABLE (0x6a)")
        }
    }

    @Test("AES-CMAC in the token equals swift-crypto's CMAC")
    func cmac() async throws {
        let token = try await SoftHSMFixture.shared.makeToken("cmac")
        let session = try await SoftHSMFixture.shared.module().loggedInSession(token)
        let keyBytes = (0..<32).map { UInt8($0 &* 7) }
        let key = try Self.knownAESKey(session, keyBytes, extra: [.bool(.sign, true), .bool(.verify, true)])
        let zero = [UInt8](repeating: 0, count: 16)
        let mac = try session.sign(zero, with: key, mechanism: .aesCMAC)
        var oracle = try AES.CMAC(key: SymmetricKey(data: keyBytes))
        oracle.update(data: zero)
        #expect(mac == Array(oracle.finalize()))
        #expect(try session.verify(zero, signature: mac, with: key, mechanism: .aesCMAC))
        #expect(try session.verify([1] + zero.dropFirst(), signature: mac, with: key, mechanism: .aesCMAC) == false)
    }

    @Test("ECDSA P-256 signatures verify with swift-crypto")
    func ecdsa() async throws {
        let token = try await SoftHSMFixture.shared.makeToken("ecdsa")
        let session = try await SoftHSMFixture.shared.module().loggedInSession(token)
        let pair = try session.generateKeyPair(
            .ecKeyPairGen,
            publicKeyTemplate: [.bytes(.ecParams, Self.p256Parameters), .bool(.token, false), .bool(.verify, true)],
            privateKeyTemplate: [.bool(.token, false), .bool(.sign, true), .bool(.sensitive, true)])
        let point = try #require(try session.attributes([.ecPoint], of: pair.publicKey).bytes(.ecPoint))
        // CKA_EC_POINT is a DER OCTET STRING around the uncompressed point.
        #expect(point.count == 67 && point[0] == 0x04 && point[1] == 65)
        let publicKey = try P256.Signing.PublicKey(x963Representation: point.dropFirst(2))
        let message = Data("checkpoint".utf8)
        let signature = try session.sign(Array(SHA256.hash(data: message)), with: pair.privateKey, mechanism: .ecdsa)
        #expect(signature.count == 64)
        #expect(publicKey.isValidSignature(try P256.Signing.ECDSASignature(rawRepresentation: signature), for: message))
    }

    @Test("EdDSA (Ed25519) signatures verify with swift-crypto")
    func eddsa() async throws {
        let token = try await SoftHSMFixture.shared.makeToken("eddsa")
        let session = try await SoftHSMFixture.shared.module().loggedInSession(token)
        let pair = try session.generateKeyPair(
            .ecEdwardsKeyPairGen,
            publicKeyTemplate: [.bytes(.ecParams, Self.ed25519Parameters), .bool(.token, false), .bool(.verify, true)],
            privateKeyTemplate: [.bool(.token, false), .bool(.sign, true), .bool(.sensitive, true)])
        let point = try #require(try session.attributes([.ecPoint], of: pair.publicKey).bytes(.ecPoint))
        let raw = point.count == 34 ? Array(point.dropFirst(2)) : point
        let publicKey = try Curve25519.Signing.PublicKey(rawRepresentation: raw)
        let message = Array("example.com/log\n1\nroot\n".utf8)
        let signature = try session.sign(message, with: pair.privateKey, mechanism: .eddsa)
        #expect(publicKey.isValidSignature(signature, for: message))
        #expect(try session.verify(message, signature: signature, with: pair.publicKey, mechanism: .eddsa))
    }

    @Test("RSA key pairs are generated; OAEP unwraps a secret encrypted by swift-crypto")
    func rsaOAEP() async throws {
        let token = try await SoftHSMFixture.shared.makeToken("rsa")
        let session = try await SoftHSMFixture.shared.module().loggedInSession(token)
        let pair = try session.generateKeyPair(
            .rsaKeyPairGen,
            publicKeyTemplate: [
                .ulong(.modulusBits, 3072), .bytes(.publicExponent, [1, 0, 1]), .bool(.token, false),
                .bool(.wrap, true), .bool(.encrypt, true),
            ],
            privateKeyTemplate: [
                .bool(.token, false), .bool(.unwrap, true), .bool(.sensitive, true),
                .bool(.extractable, false),
            ])
        let publicSet = try session.attributes([.modulus, .publicExponent], of: pair.publicKey)
        let modulus = try #require(publicSet.bytes(.modulus))
        let exponent = try #require(publicSet.bytes(.publicExponent))
        #expect(modulus.count == 384)
        let publicKey = try _RSA.Encryption.PublicKey(n: modulus, e: exponent)
        let secret = (0..<32).map { UInt8($0 | 0x80) }
        let encrypted = try publicKey.encrypt(secret, padding: .PKCS1_OAEP)
        let key = try session.unwrapKey(
            Array(encrypted), with: pair.privateKey, mechanism: .rsaOAEPSHA1,
            template: [.class(.secretKey), .keyType(.aes), .bool(.token, false), .bool(.sign, true)])
        var oracle = try AES.CMAC(key: SymmetricKey(data: secret))
        oracle.update(data: [UInt8](repeating: 0, count: 16))
        #expect(
            try session.sign([UInt8](repeating: 0, count: 16), with: key, mechanism: .aesCMAC)
                == Array(oracle.finalize()))
    }

    @Test("ECDH1 derive: both sides derive the same key from each other's points")
    func ecdh() async throws {
        let token = try await SoftHSMFixture.shared.makeToken("ecdh")
        let session = try await SoftHSMFixture.shared.module().loggedInSession(token)
        func pair() throws -> (publicKey: ObjectHandle, privateKey: ObjectHandle) {
            try session.generateKeyPair(
                .ecKeyPairGen,
                publicKeyTemplate: [.bytes(.ecParams, Self.p256Parameters), .bool(.token, false)],
                privateKeyTemplate: [.bool(.token, false), .bool(.derive, true), .bool(.sensitive, true)])
        }
        let alice = try pair()
        let bob = try pair()
        let alicePoint = try #require(try session.attributes([.ecPoint], of: alice.publicKey).bytes(.ecPoint))
        let bobPoint = try #require(try session.attributes([.ecPoint], of: bob.publicKey).bytes(.ecPoint))
        let template: [Attribute] = [
            .class(.secretKey), .keyType(.aes), .ulong(.valueLength, 32), .bool(.token, false), .bool(.sign, true),
            .bool(.sensitive, true), .bool(.extractable, false),
        ]
        let fromAlice = try session.deriveKey(
            from: alice.privateKey, mechanism: .ecdh1Derive(peerPoint: Array(bobPoint.dropFirst(2))), template: template
        )
        let fromBob = try session.deriveKey(
            from: bob.privateKey, mechanism: .ecdh1Derive(peerPoint: Array(alicePoint.dropFirst(2))), template: template
        )
        let zero = [UInt8](repeating: 0, count: 16)
        let a = try session.sign(zero, with: fromAlice, mechanism: .aesCMAC)
        let b = try session.sign(zero, with: fromBob, mechanism: .aesCMAC)
        #expect(a == b)
    }

    @Test("Encrypt a zero block (ECB check value) and decrypt it back")
    func encryptDecrypt() async throws {
        let token = try await SoftHSMFixture.shared.makeToken("ecb")
        let session = try await SoftHSMFixture.shared.module().loggedInSession(token)
        let keyBytes = [UInt8](repeating: 0x11, count: 32)
        let key = try Self.knownAESKey(session, keyBytes, extra: [.bool(.encrypt, true), .bool(.decrypt, true)])
        let zero = [UInt8](repeating: 0, count: 16)
        let block = try session.encrypt(zero, with: key, mechanism: .aesECB)
        var permuted = zero
        try AES.permute(&permuted, key: SymmetricKey(data: keyBytes))
        #expect(block == permuted)
        #expect(try session.decrypt(block, with: key, mechanism: .aesECB) == zero)
    }
}
