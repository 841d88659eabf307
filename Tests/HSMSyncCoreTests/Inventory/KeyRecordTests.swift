import Crypto
import CryptoExtras
import Foundation
import HSMSyncCore
import HSMSyncModel
import HSMSyncTesting
import PKCS11
import PKCS11Endpoint
import SecureMemory
import SignedLog
import Testing

@Suite("Key records and fingerprints (SoftHSM2)")
struct KeyRecordTests {
    static let p256: [UInt8] = [0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07]
    static let ed25519: [UInt8] = [0x06, 0x03, 0x2b, 0x65, 0x70]

    @Test("EC public key: the SPKI fingerprint equals SHA-256 of swift-crypto's DER; attributes are read")
    func ecPublicKey() async throws {
        let token = try await SoftHSMFixture.shared.makeToken("rec-ec")
        let session = try await SoftHSMFixture.shared.module().loggedInSession(token)
        let pair = try session.generateKeyPair(
            .ecKeyPairGen,
            publicKeyTemplate: [
                .bytes(.ecParams, Self.p256), .bool(.token, false), .bool(.verify, true), .bool(.encrypt, false),
                .bool(.wrap, false), .bool(.verifyRecover, false), .bool(.derive, false), .label("ca"), .id([1, 2]),
            ],
            privateKeyTemplate: [
                .bool(.token, false), .bool(.sign, true), .bool(.decrypt, false), .bool(.unwrap, false),
                .bool(.signRecover, false), .bool(.derive, false), .bool(.sensitive, true), .bool(.extractable, true),
                .label("ca"), .id([1, 2]),
            ])
        let record = try session.keyRecord(of: pair.publicKey)
        #expect(record.objectClass == "public-key")
        #expect(record.keyType == "ec")
        #expect(record.curve == "P-256")
        #expect(record.size == 256)
        #expect(record.label == "ca")
        #expect(record.id == "0102")
        #expect(record.usage == ["verify"])
        #expect(record.oddities.isEmpty)
        let point = try #require(try session.attributes([.ecPoint], of: pair.publicKey).bytes(.ecPoint))
        let oracle = try P256.Signing.PublicKey(x963Representation: point.dropFirst(2)).derRepresentation
        #expect(
            record.fingerprint == .available(method: .subjectPublicKeyInfo, sha256: SHA256.hash(data: oracle).hexDigest)
        )

        let privateRecord = try session.keyRecord(of: pair.privateKey)
        #expect(privateRecord.objectClass == "private-key")
        #expect(privateRecord.usage == ["sign"])
        #expect(privateRecord.attributes.sensitive == true)
        #expect(privateRecord.attributes.extractable == true)
        #expect(privateRecord.provenance.local == true)
        // SoftHSM2's EC private keys carry no point: the scanner pairs them by CKA_ID.
        #expect(privateRecord.fingerprint.digest == nil)
    }

    @Test("RSA keys: public and private objects share the SPKI fingerprint of swift-crypto's DER")
    func rsa() async throws {
        let token = try await SoftHSMFixture.shared.makeToken("rec-rsa")
        let session = try await SoftHSMFixture.shared.module().loggedInSession(token)
        let pair = try session.generateKeyPair(
            .rsaKeyPairGen,
            publicKeyTemplate: [.ulong(.modulusBits, 2048), .bytes(.publicExponent, [1, 0, 1]), .bool(.token, false)],
            privateKeyTemplate: [.bool(.token, false), .bool(.sign, true), .bool(.sensitive, true), .id([9])])
        let publicRecord = try session.keyRecord(of: pair.publicKey)
        let privateRecord = try session.keyRecord(of: pair.privateKey)
        #expect(publicRecord.size == 2048)
        let set = try session.attributes([.modulus, .publicExponent], of: pair.publicKey)
        let oracle = try _RSA.Signing.PublicKey(n: set.bytes(.modulus)!, e: set.bytes(.publicExponent)!)
            .derRepresentation
        #expect(publicRecord.fingerprint.digest == SHA256.hash(data: oracle).hexDigest)
        #expect(privateRecord.fingerprint.digest == publicRecord.fingerprint.digest)
    }

    @Test("Ed25519 public key: SPKI fingerprint equals swift-crypto's DER")
    func edwards() async throws {
        let token = try await SoftHSMFixture.shared.makeToken("rec-ed")
        let session = try await SoftHSMFixture.shared.module().loggedInSession(token)
        let pair = try session.generateKeyPair(
            .ecEdwardsKeyPairGen, publicKeyTemplate: [.bytes(.ecParams, Self.ed25519), .bool(.token, false)],
            privateKeyTemplate: [.bool(.token, false), .bool(.sign, true)])
        let record = try session.keyRecord(of: pair.publicKey)
        #expect(record.curve == "Ed25519")
        let point = try #require(try session.attributes([.ecPoint], of: pair.publicKey).bytes(.ecPoint))
        let oracle = try Curve25519.Signing.PublicKey(rawRepresentation: point.suffix(32)).derRepresentation
        #expect(record.fingerprint.digest == SHA256.hash(data: oracle).hexDigest)
    }

    @Test("A ghost left by a failed create (SoftHSM2 P14) is listed as odd, never fatal")
    func ghost() async throws {
        let token = try await SoftHSMFixture.shared.makeToken("rec-ghost")
        let session = try await SoftHSMFixture.shared.module().loggedInSession(token)
        // SoftHSM2 creates the token object, then fails on the read-only CKA_VALUE_LEN and keeps it.
        #expect(throws: PKCS11Error.self) {
            try session.createObject(
                [.class(.secretKey), .keyType(.aes), .bool(.token, true), .ulong(.valueLength, 16)],
                secretValue: SecretBytes(copying: [UInt8](repeating: 1, count: 32)))
        }
        let objects = try session.findObjects()
        #expect(objects.count == 1)
        let record = try session.keyRecord(of: try #require(objects.first))
        #expect(record.objectClass == "secret-key")
        #expect(record.isOdd)
        #expect(record.oddities.contains("no CKA_LABEL and no CKA_ID"))
    }

    @Test("The transport check value is the same in the HSM and on the host")
    func transportCheckValue() async throws {
        let token = try await SoftHSMFixture.shared.makeToken("rec-tcv")
        let session = try await SoftHSMFixture.shared.module().loggedInSession(token)
        let value = SecretBytes(copying: (0..<32).map { UInt8($0 * 3) })
        let kek = try session.createObject(
            [.class(.secretKey), .keyType(.aes), .bool(.token, false), .bool(.wrap, true), .bool(.unwrap, true)],
            secretValue: value)
        let inHSM = try session.transportCheckValue(of: kek)
        #expect(inHSM.count == 16)
        #expect(inHSM == (try TransportCheckValue.compute(transportKey: value)))
        let other = SecretBytes(copying: [UInt8](repeating: 7, count: 32))
        #expect(inHSM != (try TransportCheckValue.compute(transportKey: other)))
        // The probe is gone again.
        #expect(try session.findObjects(matching: [.label("hsmsync-transport-check-probe")]).isEmpty)
    }

    @Test("Transport key policy: R1/R2 violations are named")
    func transportPolicy() async throws {
        let token = try await SoftHSMFixture.shared.makeToken("rec-pol")
        let session = try await SoftHSMFixture.shared.module().loggedInSession(token)
        let good = try session.generateKey(
            .aesKeyGen,
            template: [
                .class(.secretKey), .keyType(.aes), .ulong(.valueLength, 32), .bool(.token, true), .bool(.wrap, true),
                .bool(.unwrap, true), .bool(.encrypt, false), .bool(.decrypt, false), .bool(.sign, false),
                .bool(.verify, false), .bool(.derive, false), .bool(.extractable, false), .bool(.sensitive, true),
                .bool(.modifiable, false), .bool(.copyable, false), .label("t-good"),
            ])
        #expect(TransportKeyPolicy.violations(try session.keyRecord(of: good)) == [])
        let bad = try session.generateKey(
            .aesKeyGen,
            template: [
                .class(.secretKey), .keyType(.aes), .ulong(.valueLength, 16), .bool(.token, true), .bool(.wrap, true),
                .bool(.unwrap, true), .bool(.decrypt, true), .bool(.extractable, true), .label("t-bad"),
            ])
        let problems = TransportKeyPolicy.violations(try session.keyRecord(of: bad))
        #expect(problems.contains("is AES-128, not AES-256"))
        #expect(problems.contains { $0.hasPrefix("may also") && $0.contains("decrypt") })
        #expect(problems.contains("is extractable (CKA_EXTRACTABLE must be false)"))
        #expect(problems.contains("is modifiable (CKA_MODIFIABLE must be false)"))
    }
}

extension Digest {
    var hexDigest: String { map { String(format: "%02x", $0) }.joined() }
}
