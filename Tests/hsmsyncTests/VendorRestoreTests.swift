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
                label: "\(tag)-locked", id: [0xA5], value: TestMaterial.aesKey(75), wrapWithTrusted: false,
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
