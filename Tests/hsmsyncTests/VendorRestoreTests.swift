import Crypto
import CryptoExtras
import Foundation
import HSMSyncTesting
import PKCS11
import Testing

/// A backup of the SoftHSM2 primary restored into an NSS softoken token (issue 12): the bundle's
/// RFC 5649 blobs unwrapped with NSS's own mechanism, templates less what NSS refuses, and the keys
/// proven on the host.
@Suite("Restore into NSS softoken")
struct VendorRestoreTests {
    @Test(
        "SoftHSM2 primary → bundle → NSS softoken secondary, transport key from shares: an AES key, a locked-down AES key, an EC pair and an RSA pair restored and proven, then audit parity; twice is a no-op"
    )
    func restoreIntoNSS() async throws {
        let softToken = try await SoftHSMFixture.shared.makeToken("rst-s")
        let tag = "rs\(UUID().uuidString.prefix(6).lowercased())"
        try await NSSSoftoken.shared.withToken { nssToken, nssModule in
            let fleet = try VendorReplicationTests.fleet(
                softToken, nssToken, tag: tag, nssRole: "secondary",
                extra: "backup:\n  signing-key: file:backup.key\n")
            let key = try CommandRunner.hsmsync(
                ["log", "keygen", "--name", "mixed.example/backup/\(tag)", "--out", "backup.key"],
                directory: fleet.directory.url)
            #expect(key.status == 0, "\(key)")
            try VendorReplicationTests.establishTransport(fleet)
            try await VendorReplicationTests.plantKeys(softToken, tag: tag)
            let primary = try await SoftHSMFixture.shared.module().loggedInSession(softToken)
            try primary.importTestAESKey(
                label: "\(tag)-locked", id: Array(tag.utf8) + [0xA5], value: TestMaterial.aesKey(75),
                wrapWithTrusted: false,
                sign: false, extra: [.bool(.copyable, false), .bool(.modifiable, false), .bool(.encrypt, true)])

            let bundle = fleet.directory.path("bundle.hsb")
            let created = try fleet.hsmsync([
                "backup", "create", "--fleet", fleet.path, "--hsm", "primary-1", "--out", bundle,
            ])
            #expect(created.status == 0, "\(created)")
            let restored = try fleet.hsmsync([
                "backup", "restore", "--fleet", fleet.path, "--hsm", "nss-1", bundle, "--apply", "--json",
            ])
            #expect(restored.status == 0, "\(restored)")
            let audit = try fleet.hsmsync(["audit", "--fleet", fleet.path])
            #expect(audit.status == 0, "\(audit)")
            let again = try fleet.hsmsync([
                "backup", "restore", "--fleet", fleet.path, "--hsm", "nss-1", bundle, "--apply",
            ])
            #expect(again.status == 0, "\(again)")

            // On the host: the restored AES keys encrypt as their values do, the EC key signs for
            // the primary's public key.
            let nss = try nssModule.loggedInSession(nssToken.testToken)
            let block = [UInt8](repeating: 0x11, count: 16)
            for (label, seed) in [("\(tag)-aes", UInt8(71)), ("\(tag)-locked", UInt8(75))] {
                let copy = try VendorReplicationTests.object(nss, .secretKey, label)
                let expected = try AES._CBC.encrypt(
                    block, using: SymmetricKey(data: TestMaterial.aesKey(seed)),
                    iv: AES._CBC.IV(ivBytes: [UInt8](repeating: 0, count: 16)), noPadding: true)
                #expect(try nss.encrypt(block, with: copy, mechanism: .aesECB) == Array(expected), "\(label)")
            }
            let statement = Array("restored at the DR site".utf8)
            let signature = try nss.sign(
                Array(SHA256.hash(data: statement)),
                with: try VendorReplicationTests.object(nss, .privateKey, "\(tag)-ec"),
                mechanism: .ecdsa)
            #expect(
                TestMaterial.ecKey(72).publicKey.isValidSignature(
                    try P256.Signing.ECDSASignature(rawRepresentation: signature), for: statement))
        }
    }
}

extension VendorRestoreTests {
    @Test(
        "A backup taken from the NSS softoken member (RFC 5649 by 0x210B there, named CKM_AES_KEY_WRAP_PAD in the bundle) restores into a SoftHSM2 secondary (0x210A), every key proven"
    )
    func backupFromNSS() async throws {
        let primary = try await SoftHSMFixture.shared.makeToken("bkn-p")
        let secondary = try await SoftHSMFixture.shared.makeToken("bkn-d")
        let tag = "bn\(UUID().uuidString.prefix(6).lowercased())"
        try await NSSSoftoken.shared.withToken { nssToken, nssModule in
            let fleet = try TestFleet(
                name: "mixed-\(tag)",
                members: [
                    TestFleet.Member("primary-1", role: "primary", token: primary),
                    TestFleet.Member("nss-1", role: "member", nss: nssToken),
                    TestFleet.Member("dr-1", role: "secondary", token: secondary, site: "site-b"),
                ], nssTokens: [nssToken],
                extra: "transport:\n  label: \(tag)-transport\nkeys:\n  include: [\"\(tag)-*\"]\n"
                    + "log:\n  dir: log\n  key: file:log.key\nbackup:\n  signing-key: file:backup.key\n")
            for arguments in [
                ["log", "init", "log", "--origin", "mixed.example/hsmsync/\(tag)", "--key", "log.key"],
                ["log", "keygen", "--name", "mixed.example/backup/\(tag)", "--out", "backup.key"],
            ] {
                let made = try CommandRunner.hsmsync(arguments, directory: fleet.directory.url)
                #expect(made.status == 0, "\(made)")
            }
            try VendorReplicationTests.establishTransport(fleet, installOn: ["nss-1", "dr-1"])
            // A CA's keys on the NSS member: an RSA pair and an AES key, generated there.
            let nss = try nssModule.loggedInSession(nssToken.testToken)
            _ = try nss.generateKeyPair(
                .rsaKeyPairGen,
                publicKeyTemplate: [
                    .bool(.token, true), .label("\(tag)-rsa"), .id([0xC1]), .ulong(.modulusBits, 2048),
                    .bytes(.publicExponent, [1, 0, 1]), .bool(.verify, true), .bool(.encrypt, false),
                    .bool(.wrap, false), .bool(.private, false),
                ],
                privateKeyTemplate: [
                    .bool(.token, true), .label("\(tag)-rsa"), .id([0xC1]), .bool(.private, true),
                    .bool(.sensitive, true), .bool(.extractable, true), .bool(.sign, true), .bool(.decrypt, false),
                    .bool(.unwrap, false), .bool(.signRecover, false), .bool(.derive, false),
                    .bool(.wrapWithTrusted, false),
                ])
            _ = try nss.generateKey(
                .aesKeyGen,
                template: [
                    .class(.secretKey), .keyType(.aes), .ulong(.valueLength, 32), .bool(.token, true),
                    .bool(.private, true), .label("\(tag)-aes"), .id([0xC2]), .bool(.sensitive, true),
                    .bool(.extractable, true), .bool(.encrypt, true), .bool(.decrypt, true), .bool(.wrap, false),
                    .bool(.unwrap, false), .bool(.sign, false), .bool(.verify, false), .bool(.derive, false),
                    .bool(.wrapWithTrusted, false),
                ])

            let bundle = fleet.directory.path("nss.hsb")
            let created = try fleet.hsmsync([
                "backup", "create", "--fleet", fleet.path, "--hsm", "nss-1", "--out", bundle, "--json",
            ])
            #expect(created.status == 0, "\(created)")
            let restored = try fleet.hsmsync([
                "backup", "restore", "--fleet", fleet.path, "--hsm", "dr-1", bundle, "--apply", "--json",
            ])
            #expect(restored.status == 0, "\(restored)")
            let outcomes = try #require(
                (try JSONSerialization.jsonObject(with: Data(restored.stdout.utf8)) as? [String: Any])?["outcomes"]
                    as? [[String: Any]], "\(restored)")
            #expect(outcomes.count == 3, "the RSA pair and the AES key: \(restored)")
            #expect(outcomes.allSatisfy { $0["status"] as? String == "restored" }, "\(restored)")
        }
    }
}
