import Foundation
import HSMSyncTesting
import PKCS11
import Testing

/// The fleet's `log:` section end to end, through the binary: an HSM-held log key, `log init
/// --fleet`, and `audit` recording a signed parity entry that `log verify` accepts.
@Suite("signed log of a fleet (SoftHSM2-held log key)")
struct AuditTrailCommandTests {
    @Test(
        "log keygen/init --fleet, then audit: parity (log key and anchor are not drift), an audit.parity entry, log verifies"
    )
    func auditRecordsParity() async throws {
        // Distinctive PINs: a leak into the log is found by searching for them.
        let primary = try await SoftHSMFixture.shared.makeToken("atl-p", userPIN: "pin-atl-p-7391")
        let secondary = try await SoftHSMFixture.shared.makeToken("atl-d", userPIN: "pin-atl-d-2846")
        let files = try TestFleet(
            members: [
                .init("primary-1", role: "primary", token: primary), .init("dr-1", role: "secondary", token: secondary),
            ],
            extra: "log:\n  dir: audit-log\n  key: {hsm: primary-1, label: hsmsync-log}\n")
        for token in [primary, secondary] {
            let session = try await SoftHSMFixture.shared.module().loggedInSession(token)
            try session.installTestTransportKey()
            try session.importTestAESKey(label: "ca-dek", id: [0x0a], value: Array(repeating: 0x5a, count: 32))
        }

        let keygen = try files.hsmsync(["log", "keygen", "--fleet", files.path])
        #expect(keygen.status == 0, "\(keygen)")
        #expect(keygen.stdout.contains("log key pair \"hsmsync-log\" in primary-1"))
        let again = try files.hsmsync(["log", "keygen", "--fleet", files.path])
        #expect(again.status != 0, "a second keygen must not make a second key under the label")

        let initialized = try files.hsmsync(["log", "init", "--fleet", files.path, "--origin", "example.org/atl"])
        #expect(initialized.status == 0, "\(initialized)")
        let logDirectory = files.directory.path("audit-log")
        #expect(FileManager.default.fileExists(atPath: logDirectory + "/log.vkey"))

        let first = try files.hsmsync(["audit", "--fleet", files.path, "--json"])
        #expect(first.status == 0, "the log key pair and anchor on primary-1 only are not drift: \(first)")
        let second = try files.hsmsync(["audit", "--fleet", files.path, "--json"])
        #expect(second.status == 0, "\(second)")

        let verify = try files.hsmsync(["log", "verify", logDirectory, "--json"])
        #expect(verify.status == 0, "\(verify)")
        let entries = try String(contentsOfFile: logDirectory + "/entries.jsonl", encoding: .utf8)
            .split(separator: "\n").filter { $0.contains("\"audit.parity\"") }
        #expect(entries.count == 2)
        #expect(entries.allSatisfy { $0.contains("\"status\":\"parity\"") && !$0.contains("5a5a5a") })
        let wholeLog = try String(contentsOfFile: logDirectory + "/entries.jsonl", encoding: .utf8)
        #expect(!wholeLog.contains(primary.userPIN) && !wholeLog.contains(secondary.userPIN))

        // The anchor object on the HSM moved with the checkpoints: rolling the log back is detectable.
        let session = try await SoftHSMFixture.shared.module().loggedInSession(primary)
        let anchors = try session.findObjects(matching: [.class(.data)]).compactMap {
            try session.attributes([.label], of: $0).string(.label)
        }
        #expect(anchors.contains { $0.hasPrefix("hsmsync-log-anchor ") })
    }

    @Test(
        "a fleet whose log was never initialised: audit still reports error, then exits 2 saying how to create the log")
    func missingLogKey() async throws {
        let primary = try await SoftHSMFixture.shared.makeToken("atl-m")
        let files = try TestFleet(
            members: [.init("primary-1", role: "primary", token: primary)],
            extra: "log:\n  dir: audit-log\n  key: {hsm: primary-1, label: hsmsync-log}\n")
        let audit = try files.hsmsync(["audit", "--fleet", files.path, "--json"])
        #expect(audit.status == 2, "\(audit)")
        #expect(audit.stderr.contains("hsmsync log init --fleet"), "\(audit.stderr)")
        // The report still came out, with the same verdict as the exit code.
        let report = try AuditCommandTests.json(audit)
        #expect(report["status"] as? String == "error")
        let record = try #require(report["record"] as? [String: Any])
        #expect(record["state"] as? String == "failed")
        #expect(record["errorCategory"] as? String == "invalid-input")
    }

    @Test(
        "a log key that cannot be read: one verdict (error) in the text, JSON, Markdown and metrics, exit 3; recorded again once fixed"
    )
    func unrecordedAuditIsAnError() async throws {
        let primary = try await SoftHSMFixture.shared.makeToken("atl-u")
        let secondary = try await SoftHSMFixture.shared.makeToken("atl-v")
        let files = try TestFleet(
            members: [
                .init("primary-1", role: "primary", token: primary), .init("dr-1", role: "secondary", token: secondary),
            ],
            extra: TestFleet.fileKeyLog)
        for token in [primary, secondary] {
            let session = try await SoftHSMFixture.shared.module().loggedInSession(token)
            try session.installTestTransportKey()
        }
        #expect(try files.initializeLog(origin: "example.org/atl-u").status == 0)
        let metrics = files.directory.path("audit.prom")
        let markdown = files.directory.path("audit.md")
        let arguments = ["audit", "--fleet", files.path, "--metrics", metrics, "--out", markdown]

        let recorded = try files.hsmsync(arguments + ["--json"])
        #expect(recorded.status == 0, "\(recorded)")
        #expect(try AuditCommandTests.json(recorded)["status"] as? String == "parity")
        #expect((try AuditCommandTests.json(recorded)["record"] as? [String: Any])?["state"] as? String == "recorded")
        #expect(
            try String(contentsOfFile: metrics, encoding: .utf8).contains(
                "hsmsync_audit_recorded{fleet=\"test-fleet\"} 1"))

        // The key file becomes unreadable (as root, permissions cannot deny it: a directory in its place).
        let keyPath = files.directory.path("log.key")
        try FileManager.default.moveItem(atPath: keyPath, toPath: keyPath + ".aside")
        try FileManager.default.createDirectory(
            atPath: keyPath, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])

        let json = try files.hsmsync(arguments + ["--json"])
        #expect(json.status == 3, "\(json)")
        let report = try AuditCommandTests.json(json)
        #expect(report["status"] as? String == "error", "the HSMs are in parity, the run is not: \(json.stdout)")
        let record = try #require(report["record"] as? [String: Any])
        #expect(record["state"] as? String == "failed")
        #expect((record["error"] as? String)?.contains(keyPath) == true, "\(record)")
        let exposition = try String(contentsOfFile: metrics, encoding: .utf8)
        #expect(exposition.contains("hsmsync_audit_recorded{fleet=\"test-fleet\"} 0"), "\(exposition)")
        #expect(exposition.contains("hsmsync_audit_parity{fleet=\"test-fleet\"} 0"), "\(exposition)")
        #expect(exposition.contains("hsmsync_audit_status{fleet=\"test-fleet\"} 3"), "\(exposition)")
        #expect(try String(contentsOfFile: markdown, encoding: .utf8).contains("| Status | **error** |"))
        #expect(try String(contentsOfFile: markdown, encoding: .utf8).contains("| Signed log | **not recorded**"))

        let text = try files.hsmsync(arguments)
        #expect(text.status == 3, "\(text)")
        #expect(!text.stdout.contains("PARITY"), "\(text.stdout)")
        #expect(text.stdout.contains("ERROR (the audit could not be recorded in the signed log)"), "\(text.stdout)")
        #expect(text.stderr.contains("could not be recorded in the signed log"), "\(text.stderr)")

        try FileManager.default.removeItem(atPath: keyPath)
        try FileManager.default.moveItem(atPath: keyPath + ".aside", toPath: keyPath)
        let fixed = try files.hsmsync(arguments)
        #expect(fixed.status == 0, "\(fixed)")
        #expect(
            try String(contentsOfFile: metrics, encoding: .utf8).contains(
                "hsmsync_audit_recorded{fleet=\"test-fleet\"} 1"))
        let verify = try files.hsmsync(["log", "verify", files.directory.path("audit-log")])
        #expect(verify.status == 0, "\(verify)")
    }

    @Test("an ECDSA P-256 log key pair made outside hsmsync (a token without EdDSA): checkpoints verify")
    func p256LogKey() async throws {
        let primary = try await SoftHSMFixture.shared.makeToken("atl-e")
        let files = try TestFleet(
            members: [.init("primary-1", role: "primary", token: primary)],
            extra: "log:\n  dir: audit-log\n  key: {hsm: primary-1, label: ca-log-signer}\n")
        do {
            let session = try await SoftHSMFixture.shared.module().loggedInSession(primary)
            try session.installTestTransportKey()
            try session.importTestECPair(label: "ca-log-signer", id: [0x4c], key: TestMaterial.ecKey(9))
        }
        let initialized = try files.hsmsync(["log", "init", "--fleet", files.path, "--origin", "example.org/p256"])
        #expect(initialized.status == 0, "\(initialized)")
        let audit = try files.hsmsync(["audit", "--fleet", files.path])
        #expect(audit.status == 0, "\(audit)")
        let logDirectory = files.directory.path("audit-log")
        let vkey = try String(contentsOfFile: logDirectory + "/log.vkey", encoding: .utf8).trimmingCharacters(
            in: .whitespacesAndNewlines)
        // A note verifier key of type 0x02 (ECDSA), not 0x01 (Ed25519).
        let keyBytes = try #require(Data(base64Encoded: String(vkey.split(separator: "+").last ?? "")))
        #expect(keyBytes.first == 0x02)
        let verify = try files.hsmsync(["log", "verify", logDirectory, "--strict"])
        #expect(verify.status == 0, "\(verify)")
    }
}
