import Crypto
import CryptoExtras
import Foundation
import HSMSyncTesting
import PKCS11
import Testing

/// Replication between SoftHSM2 and NSS softoken through the command line (issue 12): capabilities
/// probed, wrap methods negotiated per pair, templates built from what each token stores, and the
/// copies proven by an oracle outside PKCS#11 (swift-crypto verifying what the copy signed).
///
/// NSS tokens are leased and may hold objects of earlier leases, so every fleet here scopes its keys
/// and its transport label with a tag of its own.
@Suite("Replication between SoftHSM2 and NSS softoken")
struct VendorReplicationTests {
    /// A fleet (`primary-1` on SoftHSM2, `nss-1` on NSS softoken as `role`) with a signed log, keys
    /// and transport label scoped by `tag`.
    static func fleet(
        _ softToken: TestToken, _ nssToken: NSSToken, tag: String, nssRole: String = "member", extra: String = ""
    ) throws -> TestFleet {
        let fleet = try TestFleet(
            name: "mixed-\(tag)",
            members: [
                TestFleet.Member("primary-1", role: "primary", token: softToken),
                TestFleet.Member("nss-1", role: nssRole, nss: nssToken, site: "site-b"),
            ], nssTokens: [nssToken],
            extra: "transport:\n  label: \(tag)-transport\nkeys:\n  include: [\"\(tag)-*\"]\n"
                + "log:\n  dir: log\n  key: file:log.key\n" + extra)
        let made = try CommandRunner.hsmsync(
            ["log", "init", "log", "--origin", "mixed.example/hsmsync/\(tag)", "--key", "log.key"],
            directory: fleet.directory.url)
        #expect(made.status == 0, "\(made)")
        return fleet
    }

    /// Creates the transport key on the primary, split 2 of 3, and installs it on `nss-1` from two
    /// of the shares; both HSMs then compute the same check value.
    static func establishTransport(_ fleet: TestFleet, installOn hsms: [String] = ["nss-1"]) throws {
        let shares = fleet.directory.path("shares")
        try FileManager.default.createDirectory(
            atPath: shares, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
        let created = try fleet.hsmsync([
            "transport", "create", "--fleet", fleet.path, "--hsm", "primary-1", "--shares", "3", "--threshold", "2",
            "--out-dir", shares,
        ])
        #expect(created.status == 0, "\(created)")
        for hsm in hsms {
            let installed = try fleet.hsmsync([
                "transport", "install", "--fleet", fleet.path, "--hsm", hsm, "--share",
                "\(shares)/transport-share-3-of-3.txt", "\(shares)/transport-share-1-of-3.txt",
            ])
            #expect(installed.status == 0, "\(installed)")
        }
        let verified = try fleet.hsmsync(["transport", "verify", "--fleet", fleet.path])
        #expect(verified.status == 0, "\(verified)")
    }

    /// An AES key that may encrypt (the oracle compares one ECB block), an extractable P-256 pair and
    /// a generated RSA-2048 pair, all labelled `<tag>-…`, on the primary.
    ///
    /// The `CKA_ID`s start with the tag's bytes: NSS tokens are leased to several tests in turn and
    /// keep what earlier ones left, and a second key with the same class and `CKA_ID` would be
    /// planned as a duplicate.
    static func plantKeys(_ token: TestToken, tag: String) async throws {
        let session = try await SoftHSMFixture.shared.module().loggedInSession(token)
        let prefix = Array(tag.utf8)
        try session.importTestAESKey(
            label: "\(tag)-aes", id: prefix + [0xA1], value: TestMaterial.aesKey(71), wrapWithTrusted: false,
            sign: false,
            extra: [.bool(.encrypt, true), .bool(.decrypt, true)])
        try session.importTestECPair(
            label: "\(tag)-ec", id: prefix + [0xA2], key: TestMaterial.ecKey(72), extractable: true,
            privateExtra: [.bool(.wrapWithTrusted, false)])
        _ = try session.generateKeyPair(
            .rsaKeyPairGen,
            publicKeyTemplate: [
                .bool(.token, true), .label("\(tag)-rsa"), .id(prefix + [0xA3]), .ulong(.modulusBits, 2048),
                .bytes(.publicExponent, [1, 0, 1]), .bool(.verify, true), .bool(.encrypt, false),
                .bool(.wrap, false), .bool(.verifyRecover, false), .bool(.derive, false), .bool(.private, false),
            ],
            privateKeyTemplate: [
                .bool(.token, true), .label("\(tag)-rsa"), .id(prefix + [0xA3]), .bool(.private, true),
                .bool(.sensitive, true),
                .bool(.extractable, true), .bool(.wrapWithTrusted, false), .bool(.sign, true),
                .bool(.decrypt, false), .bool(.unwrap, false), .bool(.signRecover, false), .bool(.derive, false),
            ])
    }

    static func json(_ result: ProcessResult) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], "\(result)")
    }

    /// The one token object of `objectClass` labelled `label`.
    static func object(_ session: borrowing Session, _ objectClass: ObjectClass, _ label: String) throws
        -> ObjectHandle
    {
        let found = try session.findObjects(matching: [.class(objectClass), .label(label), .bool(.token, true)])
        try #require(found.count == 1, "\(found.count) objects \(label)")
        return found[0]
    }

    @Test(
        "SoftHSM2 primary → NSS softoken member: transport key from shares, AES by AES-KW, RSA and EC by AES-KWP (0x210A on SoftHSM2, 0x210B on NSS), parity, and the NSS copies sign what the primary's public keys verify"
    )
    func softHSMToNSS() async throws {
        let softToken = try await SoftHSMFixture.shared.makeToken("mix-s")
        let tag = "mx\(UUID().uuidString.prefix(6).lowercased())"
        try await NSSSoftoken.shared.withToken { nssToken, nssModule in
            let fleet = try Self.fleet(softToken, nssToken, tag: tag)
            try Self.establishTransport(fleet)
            try await Self.plantKeys(softToken, tag: tag)

            let plan = try Self.json(try fleet.hsmsync(["reconcile", "--fleet", fleet.path, "--json"]))
            let planned = try #require(plan["planned"] as? [[String: Any]])
            let methods = Dictionary(
                uniqueKeysWithValues: planned.compactMap { copy -> (String, String)? in
                    guard let key = copy["key"] as? [String: Any], let label = key["label"] as? String else {
                        return nil
                    }
                    return (label, copy["method"] as? String ?? "none")
                })
            #expect(methods == ["\(tag)-aes": "AES-KW", "\(tag)-ec": "AES-KWP", "\(tag)-rsa": "AES-KWP"], "\(plan)")

            let applied = try fleet.hsmsync(["reconcile", "--fleet", fleet.path, "--apply", "--json"])
            #expect(applied.status == 0, "\(applied)")
            let report = try Self.json(applied)
            #expect((report["copied"] as? [Any])?.count == 3, "\(applied)")
            #expect((report["failures"] as? [Any])?.isEmpty == true, "\(applied)")

            let audit = try fleet.hsmsync(["audit", "--fleet", fleet.path, "--json"])
            #expect(audit.status == 0, "\(audit)")
            let findings = try #require(try Self.json(audit)["findings"] as? [[String: Any]])
            #expect(findings.allSatisfy { $0["kind"] as? String == "policy" }, "\(audit)")
            // NSS does not store CKA_COPYABLE or CKA_DESTROYABLE on token objects: said, per attribute.
            let nssPolicy = findings.filter { $0["hsm"] as? String == "nss-1" }.compactMap { $0["detail"] as? String }
            #expect(nssPolicy.contains { $0.contains("CKA_COPYABLE") }, "\(audit)")

            // The oracle: the NSS copies do what the primary's keys do, checked on the host.
            let nss = try nssModule.loggedInSession(nssToken.testToken)
            let block = [UInt8](repeating: 0, count: 16)
            let aes = try Self.object(nss, .secretKey, "\(tag)-aes")
            let encrypted = try nss.encrypt(block, with: aes, mechanism: .aesECB)
            let expected = try AES._CBC.encrypt(
                block, using: SymmetricKey(data: TestMaterial.aesKey(71)), iv: AES._CBC.IV(ivBytes: block),
                noPadding: true)
            #expect(encrypted == Array(expected))

            let statement = Array("issued by the NSS copy".utf8)
            let digest = Array(SHA256.hash(data: statement))
            let ec = try Self.object(nss, .privateKey, "\(tag)-ec")
            let ecSignature = try nss.sign(digest, with: ec, mechanism: .ecdsa)
            let ecPublic = TestMaterial.ecKey(72).publicKey
            #expect(
                ecPublic.isValidSignature(
                    try P256.Signing.ECDSASignature(rawRepresentation: ecSignature), for: statement))
            // NSS turns CKA_DERIVE and CKA_SIGN_RECOVER on when it unwraps an EC key: turned off again.
            let ecFlags = try nss.attributes([.derive, .signRecover, .sign, .sensitive], of: ec)
            #expect(ecFlags.bool(.derive) == false && ecFlags.bool(.signRecover) == false)
            #expect(ecFlags.bool(.sign) == true && ecFlags.bool(.sensitive) == true)

            let rsa = try Self.object(nss, .privateKey, "\(tag)-rsa")
            let message = Array("a certificate to sign".utf8)
            let rsaSignature = try nss.sign(message, with: rsa, mechanism: Mechanism(.sha256RSAPKCS))
            let primary = try await SoftHSMFixture.shared.module().loggedInSession(softToken)
            let publicKey = try primary.attributes(
                [.modulus, .publicExponent], of: try Self.object(primary, .publicKey, "\(tag)-rsa"))
            let rsaPublic = try _RSA.Signing.PublicKey(
                n: try #require(publicKey.bytes(.modulus)), e: try #require(publicKey.bytes(.publicExponent)))
            #expect(
                rsaPublic.isValidSignature(
                    _RSA.Signing.RSASignature(rawRepresentation: rsaSignature), for: message,
                    padding: .insecurePKCS1v1_5))
            let rsaFlags = try nss.attributes([.decrypt, .unwrap, .signRecover], of: rsa)
            #expect(rsaFlags.bool(.decrypt) == false && rsaFlags.bool(.unwrap) == false)
            #expect(rsaFlags.bool(.signRecover) == false)

            // The log names the method of every copy.
            let entries = try String(contentsOfFile: fleet.directory.path("log/entries.jsonl"), encoding: .utf8)
            #expect(entries.contains("\"method\":\"AES-KWP\"") && entries.contains("\"method\":\"AES-KW\""))
            let verified = try CommandRunner.hsmsync(["log", "verify", fleet.directory.path("log")])
            #expect(verified.status == 0, "\(verified)")
        }
    }
}

extension VendorReplicationTests {
    @Test(
        "A CA on the NSS softoken member creates an AES key and an EC pair: reconcile brings them to the SoftHSM2 primary (NSS wraps with 0x210B, SoftHSM2 unwraps with 0x210A), proven by sign/verify, parity"
    )
    func nssToSoftHSM() async throws {
        let softToken = try await SoftHSMFixture.shared.makeToken("mix-n")
        let tag = "mn\(UUID().uuidString.prefix(6).lowercased())"
        try await NSSSoftoken.shared.withToken { nssToken, nssModule in
            let fleet = try Self.fleet(softToken, nssToken, tag: tag)
            try Self.establishTransport(fleet)
            let nss = try nssModule.loggedInSession(nssToken.testToken)
            // As a CA would make them on its HSM: generated there, extractable, without v2.40 attributes.
            _ = try nss.generateKey(
                .aesKeyGen,
                template: [
                    .class(.secretKey), .keyType(.aes), .ulong(.valueLength, 32), .bool(.token, true),
                    .bool(.private, true), .label("\(tag)-aes"), .id([0xB1]), .bool(.sensitive, true),
                    .bool(.extractable, true), .bool(.encrypt, true), .bool(.decrypt, true), .bool(.sign, false),
                    .bool(.verify, false), .bool(.wrap, false), .bool(.unwrap, false), .bool(.derive, false),
                    .bool(.wrapWithTrusted, false),
                ])
            let p256: [UInt8] = [0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07]
            let pair = try nss.generateKeyPair(
                .ecKeyPairGen,
                publicKeyTemplate: [
                    .bool(.token, true), .label("\(tag)-ec"), .id([0xB2]), .bytes(.ecParams, p256),
                    .bool(.verify, true), .bool(.encrypt, false), .bool(.wrap, false), .bool(.derive, false),
                    .bool(.private, false),
                ],
                privateKeyTemplate: [
                    .bool(.token, true), .label("\(tag)-ec"), .id([0xB2]), .bool(.private, true),
                    .bool(.sensitive, true), .bool(.extractable, true), .bool(.sign, true), .bool(.derive, false),
                    .bool(.decrypt, false), .bool(.unwrap, false), .bool(.signRecover, false),
                    .bool(.wrapWithTrusted, false),
                ])

            let applied = try fleet.hsmsync(["reconcile", "--fleet", fleet.path, "--apply", "--json"])
            #expect(applied.status == 0, "\(applied)")
            let copied = try #require(try Self.json(applied)["copied"] as? [[String: Any]])
            #expect(copied.count == 2, "\(applied)")
            #expect(copied.allSatisfy { $0["source"] as? String == "nss-1" }, "\(applied)")
            let audit = try fleet.hsmsync(["audit", "--fleet", fleet.path])
            #expect(audit.status == 0, "\(audit)")

            // The SoftHSM2 copies: the AES key encrypts as NSS's does, the EC key signs what NSS's
            // public key verifies.
            let primary = try await SoftHSMFixture.shared.module().loggedInSession(softToken)
            let block = [UInt8](repeating: 0x3C, count: 16)
            let original = try nss.encrypt(
                block, with: try Self.object(nss, .secretKey, "\(tag)-aes"), mechanism: .aesECB)
            let copy = try primary.encrypt(
                block, with: try Self.object(primary, .secretKey, "\(tag)-aes"), mechanism: .aesECB)
            #expect(copy == original)
            let digest = Array(SHA256.hash(data: Array("signed on the primary".utf8)))
            let signature = try primary.sign(
                digest, with: try Self.object(primary, .privateKey, "\(tag)-ec"), mechanism: .ecdsa)
            #expect(try nss.verify(digest, signature: signature, with: pair.publicKey, mechanism: .ecdsa))
        }
    }
}
