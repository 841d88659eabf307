import Crypto
import Foundation
import HSMSyncCore
import HSMSyncModel
import HSMSyncTesting
import PKCS11
import PKCS11Endpoint
import SecureMemory
import SignedLog
import Testing

/// Fleets, keys and bundles for `hsmsync backup` tests on real SoftHSM2 tokens.
enum BackupTestSupport {
    static let transportLabel = "hsmsync-transport"

    /// A fleet (primary `primary-1`, secondary `dr-1`) with a signed audit log (file key) and a
    /// backup signing key of its own (`backup.key`, its vkey in `backup.vkey`), on fresh tokens. No
    /// keys yet. `backup` is added to the fleet's `backup:` section (indented lines).
    static func fleet(_ hint: String, name: String = "backup-fleet", extra: String = "", backup: String = "")
        async throws -> (TestFleet, [TestToken])
    {
        let tokens = [
            try await SoftHSMFixture.shared.makeToken("\(hint)p"),
            try await SoftHSMFixture.shared.makeToken("\(hint)d"),
        ]
        let fleet = try TestFleet(
            name: name,
            members: [
                .init("primary-1", role: "primary", token: tokens[0]),
                .init("dr-1", role: "secondary", token: tokens[1], site: "site-b"),
            ],
            extra: "log:\n  dir: log\n  key: file:log.key\nbackup:\n  signing-key: file:backup.key\n" + backup + extra)
        let made = try CommandRunner.hsmsync(
            ["log", "init", "log", "--origin", "\(name).example/hsmsync/\(hint)", "--key", "log.key"],
            directory: fleet.directory.url)
        #expect(made.status == 0, "\(made)")
        let key = try CommandRunner.hsmsync(
            ["log", "keygen", "--name", "\(name).example/backup/\(hint)", "--out", "backup.key"],
            directory: fleet.directory.url)
        #expect(key.status == 0, "\(key)")
        try key.stdout.write(toFile: fleet.directory.path("backup.vkey"), atomically: true, encoding: .utf8)
        return (fleet, tokens)
    }

    /// Runs `body` with a logged-in session on `token`.
    static func on<T>(_ token: TestToken, _ body: (borrowing Session) throws -> T) async throws -> T {
        let session = try await SoftHSMFixture.shared.module().loggedInSession(token)
        return try body(session)
    }

    /// A locked-down transport key by value, as `transport create`/`install` make it.
    static func plantTransportKey(_ token: TestToken, value: [UInt8] = TestMaterial.transportKey) async throws {
        try await on(token) { session in
            _ = try session.createObject(
                TransportKeyTemplate.attributes(label: transportLabel), secretValue: SecretBytes(copying: value))
        }
    }

    /// The primary's CA keys: two AES-256 keys, an extractable P-256 pair, an extractable RSA-2048
    /// pair, and one non-extractable AES key (which cannot be in a bundle).
    static func plantCAKeys(_ token: TestToken) async throws {
        try await on(token) { session in
            try session.importTestAESKey(
                label: "ca-data-key", id: [0x01], value: TestMaterial.aesKey(1), wrapWithTrusted: false)
            try session.importTestAESKey(
                label: "ca-mac-key", id: [0x02], value: TestMaterial.aesKey(2), wrapWithTrusted: false)
            try session.importTestECPair(
                label: "ca-root-ec", id: [0x03], key: TestMaterial.ecKey(3), extractable: true,
                privateExtra: [.bool(.wrapWithTrusted, false)])
            try generateRSAPair(session, label: "ca-issuing-rsa", id: [0x04])
            try session.importTestAESKey(
                label: "hsm-bound-key", id: [0x05], value: TestMaterial.aesKey(5), extractable: false,
                wrapWithTrusted: false)
        }
    }

    /// An RSA-2048 pair generated in the token: the private key extractable, not WWT.
    static func generateRSAPair(_ session: borrowing Session, label: String, id: [UInt8]) throws {
        _ = try session.generateKeyPair(
            .rsaKeyPairGen,
            publicKeyTemplate: [
                .bool(.token, true), .bool(.private, false), .label(label), .id(id), .ulong(.modulusBits, 2048),
                .bytes(.publicExponent, [0x01, 0x00, 0x01]), .bool(.verify, true), .bool(.encrypt, false),
                .bool(.wrap, false), .bool(.verifyRecover, false), .bool(.derive, false),
            ],
            privateKeyTemplate: [
                .bool(.token, true), .bool(.private, true), .label(label), .id(id), .bool(.sensitive, true),
                .bool(.extractable, true), .bool(.wrapWithTrusted, false), .bool(.sign, true),
                .bool(.decrypt, false), .bool(.unwrap, false), .bool(.signRecover, false), .bool(.derive, false),
            ])
    }

    /// Objects on `token` as this process sees them.
    static func objectCount(_ token: TestToken) async throws -> Int {
        try await on(token) { session in try session.findObjects().count }
    }

    static func json(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    /// Creates a bundle of `primary-1` at `bundle.hsb` in the fleet's directory.
    static func createBundle(_ fleet: TestFleet, name: String = "bundle.hsb") throws -> String {
        let path = fleet.directory.path(name)
        let created = try fleet.hsmsync([
            "backup", "create", "--fleet", fleet.path, "--hsm", "primary-1", "--out", path,
        ])
        #expect(created.status == 0, "\(created)")
        return path
    }

    /// A copy of `path` with the byte at `offset` changed.
    static func tampered(_ path: String, offset: Int, in directory: TemporaryDirectory) throws -> String {
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        bytes[offset] ^= 0x01
        let copy = directory.path("tampered-\(offset).hsb")
        try Data(bytes).write(to: URL(fileURLWithPath: copy))
        return copy
    }
}
