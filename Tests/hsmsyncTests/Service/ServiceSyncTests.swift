import Foundation
import HSMSyncCore
import HSMSyncTesting
import PKCS11
import Testing

/// `hsmsync serve` with `sync.mode: automatic` on three real SoftHSM2 tokens, over real HTTP.
@Suite("hsmsync serve: automatic sync (SoftHSM2)", .serialized)
struct ServiceSyncTests {
    @Test("A key the CA creates on the member reaches every HSM; a conflicting key is reported, alerted, left alone")
    func automaticSync() async throws {
        let sink = try WebhookSink()
        let fixture = try await ServiceFixture(
            "svc-sync",
            service: "  sync: {mode: automatic, interval: 2s}\n  alerts:\n    - webhook: \(sinkURL(sink))\n")
        let service = try fixture.start()
        let reader = fixture.readerToken

        // The first watch cycle finds the fleet in parity.
        try await ServiceProcess.waitUntil(timeout: .seconds(30), "the first watch cycle") {
            try await service.json("GET", "/v1/status", token: reader).object["status"] as? String == "parity"
        }

        try fixture.generate(on: "member-1", label: "ca-2027", id: "27")
        let created = Date()
        var entry: [String: Any] = [:]
        try await ServiceProcess.waitUntil(
            timeout: .seconds(60), "ca-2027 present on every HSM",
            state: { await service.text("/v1/keys", token: reader) }
        ) {
            let keys = try await service.json("GET", "/v1/keys", token: reader).object["keys"] as? [[String: Any]] ?? []
            guard
                let key = keys.first(where: {
                    $0["label"] as? String == "ca-2027" && $0["class"] as? String == "private-key"
                })
            else { return false }
            entry = key
            return key["presentEverywhereAt"] != nil
        }
        let synced = Date().timeIntervalSince(created)
        let hsms = try #require(entry["hsms"] as? [String: [String: Any]])
        #expect(Set(hsms.keys) == ["primary-1", "member-1", "dr-1"])
        #expect(hsms.values.allSatisfy { $0["state"] as? String == "present" }, "\(entry)")
        let lag = try #require(entry["syncLagSeconds"] as? Double, "\(entry)")
        // Three 2 s intervals, plus the scans and copies of a loaded CI machine.
        #expect(lag >= 0 && lag <= 12, "sync lag \(lag) s (seen everywhere after \(synced) s)")

        // Same material on every token, by the inventory's fingerprints.
        let fingerprints = try fixture.fingerprints(of: "ca-2027")
        #expect(fingerprints.count == 3, "\(fingerprints)")
        #expect(Set(fingerprints.values.map { $0.sorted() }).count == 1, "\(fingerprints)")

        // A conflicting key on the secondary: the member's aes-c differs from dr-1's.
        for (token, seed) in [(fixture.secondary, UInt8(7)), (fixture.member, UInt8(8))] {
            let session = try await SoftHSMFixture.shared.module().loggedInSession(token)
            try session.importTestAESKey(label: "aes-c", id: [0x0c], value: TestMaterial.aesKey(seed))
        }
        let drBefore = try fixture.fingerprints(of: "aes-c")["dr-1"]
        try await ServiceProcess.waitUntil(
            timeout: .seconds(60), "aes-c reported as a conflict on dr-1",
            state: {
                await service.text("/v1/keys", token: reader) + "\n" + service.log.suffix(15).joined(separator: "\n")
            }
        ) {
            let keys = try await service.json("GET", "/v1/keys", token: reader).object["keys"] as? [[String: Any]] ?? []
            let key = keys.first { $0["label"] as? String == "aes-c" }
            let holdings = key?["hsms"] as? [String: [String: Any]]
            return holdings?["dr-1"]?["state"] as? String == "conflict"
        }
        try await ServiceProcess.waitUntil(timeout: .seconds(30), "the drift alert") {
            sink.received.contains { $0["event"] as? String == "status-changed" && $0["status"] as? String == "drift" }
        }
        let status = try await service.json("GET", "/v1/status", token: reader).object
        #expect(status["status"] as? String == "drift", "\(status)")
        #expect(try fixture.fingerprints(of: "aes-c")["dr-1"] == drBefore, "the conflicting key on dr-1 was touched")

        let stopped = service.stop()
        #expect(stopped.status == 0, "\(service.log.suffix(20).joined(separator: "\n"))")

        let verified = try fixture.fleet.hsmsync(["log", "verify", fixture.fleet.directory.path("audit-log")])
        #expect(verified.status == 0, "\(verified)")
        let entries = try String(
            contentsOfFile: fixture.fleet.directory.path("audit-log/entries.jsonl"), encoding: .utf8)
        #expect(entries.contains("\"replicate.commit\"") && entries.contains("hsmsync-serve@svc-sync-1"))
    }

    private func sinkURL(_ sink: WebhookSink) -> String { sink.url }

    @Test("A webhook that fails is retried, and the delivery is recorded in the database")
    func alertRetried() async throws {
        let sink = try WebhookSink(failFirst: 1)
        let fixture = try await ServiceFixture(
            "svc-alert", service: "  sync: {mode: plan, interval: 60s}\n  alerts:\n    - webhook: \(sinkURL(sink))\n")
        let session = try await SoftHSMFixture.shared.module().loggedInSession(fixture.primary)
        try session.importTestAESKey(label: "new", id: [0x33], value: TestMaterial.aesKey(3), wrapWithTrusted: false)
        let service = try fixture.start()
        try await ServiceProcess.waitUntil(timeout: .seconds(30), "the drift alert, on its second attempt") {
            sink.received.contains { $0["event"] as? String == "status-changed" && $0["status"] as? String == "drift" }
        }
        let alert = try #require(sink.received.first)
        #expect(
            alert["changed"] as? String == "unknown → drift" && alert["fleet"] as? String == "test-fleet", "\(alert)")
        #expect((alert["findings"] as? [String: Any])?["missing"] as? Int == 2, "\(alert)")
        #expect(service.stop().status == 0)
        let rows = try CommandRunner.run(
            URL(fileURLWithPath: "/usr/bin/env"),
            [
                "python3", "-c",
                "import sqlite3,sys; print([tuple(r) for r in sqlite3.connect(sys.argv[1]).execute('SELECT event, state, attempts FROM alert_deliveries')])",
                fixture.fleet.directory.path("hsmsync-state/hsmsync.sqlite"),
            ])
        #expect(rows.stdout.contains("('status-changed', 'delivered', 2)"), "\(rows)")
    }

    @Test("POST /v1/reconcile while another process holds the fleet lock: 409, nothing queued")
    func reconcileRefusedWhileLocked() async throws {
        let fixture = try await ServiceFixture("svc-lock")
        let service = try fixture.start()
        defer { service.stop() }
        var held: ReconcileLock? = try ReconcileLock(
            directory: fixture.fleet.directory.path("hsmsync-state"), purpose: "test")
        let refused = try await service.json("POST", "/v1/reconcile", token: fixture.operatorToken)
        #expect(refused.status == 409, "\(refused)")
        #expect(held != nil)
        held = nil  // releases the flock
        let accepted = try await service.json("POST", "/v1/reconcile", token: fixture.operatorToken)
        #expect(accepted.status == 202, "once the lock is free: \(accepted)")
    }
}
