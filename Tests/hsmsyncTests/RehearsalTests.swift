import Foundation
import HSMSyncTesting
import PKCS11
import Testing

/// `ceremony run --rehearse` on a fleet whose real HSMs hold copies of the same keys (issue 13):
/// the stand-ins keep the real fleet's relations, policy findings are not drift, and what a
/// rehearsal leaves behind is said.
@Suite("ceremony rehearsal: stand-ins keep the real fleet's relations")
struct RehearsalTests {
    static let replicate = CeremonyCommandTests.ceremonies.appendingPathComponent("replicate-ca-keys.yaml").path
    static let witness = "Harper (internal witness)"

    /// primary-1 and dr-1 with one transport key, and on primary-1 the CA keys of the demo's kinds: an
    /// AES key, an EC pair and an RSA pair, all extractable without CKA_WRAP_WITH_TRUSTED (policy findings).
    static func fleet(_ hint: String) async throws -> (fleet: TestFleet, primary: TestToken, dr: TestToken) {
        let (fleet, primary, dr) = try await CeremonyCommandTests.makeFleetAndTokens(hint)
        for token in [primary, dr] {
            try await SoftHSMFixture.shared.module().loggedInSession(token).installTestTransportKey()
        }
        try await CeremonyCommandTests.plantCAKeys(primary)
        let session = try await SoftHSMFixture.shared.module().loggedInSession(primary)
        _ = try session.generateKeyPair(
            .rsaKeyPairGen,
            publicKeyTemplate: [
                .bool(.token, true), .label("ca-rsa"), .id([3]), .ulong(.modulusBits, 2048),
                .bytes(.publicExponent, [1, 0, 1]), .bool(.verify, true), .bool(.encrypt, false), .bool(.wrap, false),
            ],
            privateKeyTemplate: [
                .bool(.token, true), .label("ca-rsa"), .id([3]), .bool(.private, true), .bool(.sensitive, true),
                .bool(.extractable, true), .bool(.wrapWithTrusted, false), .bool(.sign, true), .bool(.decrypt, false),
                .bool(.unwrap, false), .bool(.derive, false),
            ])
        return (fleet, primary, dr)
    }

    static func rehearse(_ fleet: TestFleet, log: String) throws -> ProcessResult {
        let inputs = try CeremonyCommandTests.answers(fleet, [("sign-off", witness, witness)])
        return try CeremonyCommandTests.rehearse(
            replicate, fleet: fleet.path, inputs: inputs, log: fleet.directory.path(log), in: fleet)
    }

    @Test(
        "a fleet in parity (AES, EC, RSA copies) rehearses replicate-ca-keys in parity; policy is not drift; the key file goes, the log stays"
    )
    func parityFleetRehearsesInParity() async throws {
        let (fleet, _, _) = try await Self.fleet("rhp")
        let copied = try fleet.hsmsync(["reconcile", "--fleet", fleet.path, "--apply"])
        #expect(copied.status == 0, "\(copied)")
        let audit = try fleet.hsmsync(["audit", "--fleet", fleet.path, "--json"])
        #expect(audit.status == 0, "the real fleet is in parity: \(audit)")

        let rehearsed = try Self.rehearse(fleet, log: "rehearsal")
        #expect(rehearsed.status == 0, "no invented conflict: \(rehearsed)")
        #expect(!rehearsed.stdout.contains("CONFLICT") && !rehearsed.stderr.contains("CONFLICT"), "\(rehearsed)")
        #expect(
            rehearsed.stdout.contains("stand-ins share material where the real HSMs hold the same key: 3 key(s)"),
            "\(rehearsed)")
        // The CA keys are extractable without CKA_WRAP_WITH_TRUSTED: policy findings, said apart from drift.
        #expect(rehearsed.stdout.contains("audit: parity; 6 policy finding(s), not drift"), "\(rehearsed)")

        let log = fleet.directory.path("rehearsal")
        #expect(!FileManager.default.fileExists(atPath: log + ".key"), "the rehearsal log's key file is deleted")
        let left = try FileManager.default.contentsOfDirectory(atPath: fleet.directory.url.path)
            .filter { $0.hasPrefix("rehearsal") }
        #expect(left == ["rehearsal"], "only the rehearsal's log stays: \(left)")
        #expect(FileManager.default.fileExists(atPath: log + "/entries.jsonl"), "the rehearsal's record stays")
        #expect(rehearsed.stdout.contains("REHEARSAL: kept: its signed log \(log)"), "\(rehearsed)")
        let verify = try fleet.hsmsync(["log", "verify", log])
        #expect(verify.status == 0, "verifiable without the deleted key: \(verify)")
    }

    @Test("a real conflict shows in the rehearsal as in the real run, and only the keys that really differ")
    func realConflictIsReproduced() async throws {
        let (fleet, _, dr) = try await Self.fleet("rhc")
        // dr-1 holds ca-aes with other material; the pairs are still to be copied.
        try await SoftHSMFixture.shared.module().loggedInSession(dr).importTestAESKey(
            label: "ca-aes", id: [1], value: TestMaterial.aesKey(99), wrapWithTrusted: false)

        let rehearsed = try Self.rehearse(fleet, log: "rehearsal")
        #expect(rehearsed.status != 0, "\(rehearsed)")
        let output = rehearsed.stdout + rehearsed.stderr
        #expect(output.contains("CONFLICT secret-key \"ca-aes\""), "\(rehearsed)")
        #expect(!output.contains("CONFLICT private-key"), "\(rehearsed)")
        #expect(output.contains("1 key(s) the real HSMs hold with different material, different here too"))
        #expect(!FileManager.default.fileExists(atPath: fleet.directory.path("rehearsal.key")))
    }
}
