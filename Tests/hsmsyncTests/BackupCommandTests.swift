import Foundation
import HSMSyncCore
import HSMSyncModel
import HSMSyncTesting
import PKCS11
import SignedLog
import Testing

/// `hsmsync backup create` and `backup verify`, through the binary, on real SoftHSM2 tokens.
@Suite("hsmsync backup create/verify")
struct BackupCommandTests {
    typealias Support = BackupTestSupport

    @Test("create: AES, EC and RSA keys wrapped, public keys kept, the non-extractable key listed; verify ok")
    func createAndVerify() async throws {
        let (fleet, tokens) = try await Support.fleet("bk-c")
        try await Support.plantTransportKey(tokens[0])
        try await Support.plantCAKeys(tokens[0])
        let before = try await Support.objectCount(tokens[0])
        let path = try Support.createBundle(fleet)
        #expect(try await Support.objectCount(tokens[0]) == before, "create changes nothing on the HSM")

        let verified = try CommandRunner.hsmsync(["backup", "verify", path, "--json"])
        #expect(verified.status == 0, "\(verified)")
        let report = try Support.json(verified.stdout)
        #expect(report["status"] as? String == "ok")
        #expect(report["pinned"] as? Bool == false)
        let keys = try #require(report["keys"] as? [[String: Any]])
        let labels = keys.compactMap { ($0["key"] as? [String: Any])?["label"] as? String }.sorted()
        #expect(labels == ["ca-data-key", "ca-issuing-rsa", "ca-mac-key", "ca-root-ec"])
        #expect(keys.allSatisfy { ($0["fingerprint"] as? [String: Any])?["sha256"] as? String != nil })
        let mechanisms = Dictionary(
            uniqueKeysWithValues: keys.map {
                (($0["key"] as! [String: Any])["label"] as! String, $0["mechanism"] as! String)
            })
        #expect(mechanisms["ca-data-key"] == "CKM_AES_KEY_WRAP")
        #expect(mechanisms["ca-root-ec"] == "CKM_AES_KEY_WRAP_PAD")
        let objects = try #require(report["objects"] as? [[String: Any]])
        #expect(objects.count == 2, "the EC and RSA public keys")
        let excluded = try #require(report["excluded"] as? [[String: Any]])
        #expect(excluded.count == 1)
        #expect((excluded.first?["reason"] as? String)?.contains("not extractable") == true)
        let manifest = try #require(report["manifest"] as? [String: Any])
        #expect(manifest["fleet"] as? String == "backup-fleet")
        let source = try #require(manifest["source"] as? [String: Any])
        #expect(source["serial"] as? String == tokens[0].serialNumber)
        #expect(source["label"] as? String == tokens[0].label)
        let backupKey = try #require(manifest["backupKey"] as? [String: Any])
        #expect((backupKey["checkValue"] as? String)?.count == 16)
        #expect(backupKey["isTransportKey"] as? Bool == true)

        let pinned = try CommandRunner.hsmsync([
            "backup", "verify", path, "--vkey", fleet.directory.path("backup.vkey"),
        ])
        #expect(pinned.status == 0, "\(pinned)")
        #expect(pinned.stdout.contains("(the trusted key)"))

        let log = try CommandRunner.hsmsync(["log", "verify", "log"], directory: fleet.directory.url)
        #expect(log.status == 0, "\(log)")
        let entries = try String(contentsOfFile: fleet.directory.path("log/entries.jsonl"), encoding: .utf8)
        #expect(entries.contains("\"backup.create\""))
    }

    @Test("create never overwrites: an existing output is refused before any HSM is touched (exit 2)")
    func createNeverOverwrites() async throws {
        let (fleet, tokens) = try await Support.fleet("bk-o")
        try await Support.plantTransportKey(tokens[0])
        let path = fleet.directory.path("exists.hsb")
        try Data("keep me".utf8).write(to: URL(fileURLWithPath: path))
        let result = try fleet.hsmsync(["backup", "create", "--fleet", fleet.path, "--hsm", "primary-1", "--out", path])
        #expect(result.status == 2, "\(result)")
        #expect(result.stderr.contains("never overwrites"))
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "keep me")
    }

    @Test("create without a backup key: refused, no file written (exit 3)")
    func createWithoutBackupKey() async throws {
        let (fleet, _) = try await Support.fleet("bk-n")
        let path = fleet.directory.path("none.hsb")
        let result = try fleet.hsmsync(["backup", "create", "--fleet", fleet.path, "--hsm", "primary-1", "--out", path])
        #expect(result.status == 3, "\(result)")
        #expect(result.stderr.contains("no key labelled \"hsmsync-transport\""))
        #expect(!FileManager.default.fileExists(atPath: path))
    }

    @Test("verify: one byte changed at any of many offsets (header, sections, signature) → exit 1 with its offset")
    func verifyDetectsEveryChangedByte() async throws {
        let (fleet, tokens) = try await Support.fleet("bk-t")
        try await Support.plantTransportKey(tokens[0])
        try await Support.plantCAKeys(tokens[0])
        let path = try Support.createBundle(fleet)
        let size = try #require(try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int)
        let scratch = try TemporaryDirectory(prefix: "tamper")
        // Every header byte, then a spread over the body and every one of the last 120 bytes (the signature block).
        let offsets =
            Array(0..<48) + Array(stride(from: 48, to: size - 120, by: max(1, (size - 168) / 60)))
            + Array((size - 120)..<size)
        var failures: [String] = []
        for offset in offsets {
            let copy = try Support.tampered(path, offset: offset, in: scratch)
            let result = try CommandRunner.hsmsync(["backup", "verify", copy, "--json"])
            if result.status != 1 {
                failures.append("offset \(offset): exit \(result.status) \(result.stdout)")
            } else if let report = try? Support.json(result.stdout), report["status"] as? String != "damaged" {
                failures.append("offset \(offset): status \(report["status"] ?? "-")")
            } else if let report = try? Support.json(result.stdout),
                (report["error"] as? [String: Any])?["offset"] as? Int == nil
            {
                failures.append("offset \(offset): no byte offset in \(report["error"] ?? "-")")
            }
            try FileManager.default.removeItem(atPath: copy)
        }
        #expect(failures.isEmpty, "\(failures.prefix(5))")
        #expect(offsets.count > 200)

        let human = try CommandRunner.hsmsync(["backup", "verify", try Support.tampered(path, offset: 20, in: scratch)])
        #expect(human.status == 1)
        #expect(human.stderr.contains("byte offset"))
    }

    @Test(
        "verify: content that contradicts itself behind a valid signature (a wrapped length, the manifest's counts) → exit 1, inconsistent"
    )
    func verifyInconsistentButSigned() async throws {
        let (fleet, tokens) = try await Support.fleet("bk-i")
        try await Support.plantTransportKey(tokens[0])
        try await Support.plantCAKeys(tokens[0])
        let path = try Support.createBundle(fleet)
        let original = try BackupCodec.load(path, trusted: nil).content
        // Signed with the fleet's own key: only the consistency checks can catch these.
        let signer = try FileKeySigner(path: fleet.directory.path("backup.key"))
        let changes: [(String, @Sendable (inout BackupContent) -> Void)] = [
            ("wrapped-length", { $0.keys[0].wrappedLength += 8 }),
            ("counts", { $0.manifest.counts.keys += 1 }),
        ]
        for (name, change) in changes {
            var content = original
            change(&content)
            let forged = fleet.directory.path("forged-\(name).hsb")
            try BackupCodec.write(try await BackupCodec.encode(content, signer: signer), to: forged)
            let result = try CommandRunner.hsmsync([
                "backup", "verify", forged, "--vkey", fleet.directory.path("backup.vkey"), "--json",
            ])
            #expect(result.status == 1, "\(name): \(result)")
            let report = try Support.json(result.stdout)
            #expect(report["status"] as? String == "damaged", "\(name): \(report)")
            let message = (report["error"] as? [String: Any])?["message"] as? String ?? ""
            #expect(message.contains("inconsistent"), "\(name): \(message)")
        }
    }

    @Test("verify: truncated files, an empty file, a file that is not a bundle, a missing file → exit 2")
    func verifyNotABundle() async throws {
        let (fleet, tokens) = try await Support.fleet("bk-x")
        try await Support.plantTransportKey(tokens[0])
        try await Support.plantCAKeys(tokens[0])
        let path = try Support.createBundle(fleet)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        let scratch = try TemporaryDirectory(prefix: "trunc")
        for length in [0, 3, 8, 39, 40, 41, bytes.count / 2, bytes.count - 1] {
            let copy = scratch.path("cut-\(length).hsb")
            try bytes.prefix(length).write(to: URL(fileURLWithPath: copy))
            let result = try CommandRunner.hsmsync(["backup", "verify", copy])
            #expect(result.status == 2, "length \(length): \(result)")
            if length >= 40 { #expect(result.stderr.contains("truncated"), "length \(length): \(result.stderr)") }
        }
        let text = scratch.path("notes.txt")
        try Data("name: demo-pki\nhsms: []\n".utf8).write(to: URL(fileURLWithPath: text))
        let notBundle = try CommandRunner.hsmsync(["backup", "verify", text, "--json"])
        #expect(notBundle.status == 2, "\(notBundle)")
        #expect(try Support.json(notBundle.stdout)["status"] as? String == "invalid")
        let missing = try CommandRunner.hsmsync(["backup", "verify", scratch.path("absent.hsb")])
        #expect(missing.status == 2, "\(missing)")
        let wrongKey = try CommandRunner.hsmsync(["backup", "verify", path, "--vkey", scratch.path("absent.vkey")])
        #expect(wrongKey.status == 2, "\(wrongKey)")
    }

    @Test("verify --vkey: a bundle signed by another fleet's key → exit 1, naming both keys")
    func verifyOtherSigner() async throws {
        let (fleet, tokens) = try await Support.fleet("bk-s")
        let (other, _) = try await Support.fleet("bk-s2", name: "other-fleet")
        try await Support.plantTransportKey(tokens[0])
        try await Support.plantCAKeys(tokens[0])
        let path = try Support.createBundle(fleet)
        let result = try CommandRunner.hsmsync([
            "backup", "verify", path, "--vkey", other.directory.path("backup.vkey"),
        ])
        #expect(result.status == 1, "\(result)")
        #expect(result.stderr.contains("not by the trusted key other-fleet.example"))
    }
}
