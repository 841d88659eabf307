import Foundation
import HSMSyncTesting
import PKCS11
import Testing

/// Hostile and careless requests: each gets a clear 4xx, and the service stays up and on schedule.
/// And no secret — PIN, API token — anywhere a test can look.
@Suite("hsmsync serve: bad input and secrets (SoftHSM2)", .serialized)
struct ServiceHardeningTests {
    static func raw(_ service: ServiceProcess, _ method: String, _ target: String) throws -> (Int, String) {
        let result = try CommandRunner.run(
            URL(fileURLWithPath: "/usr/bin/env"),
            [
                "python3", ServiceFixture.python + "/raw_http.py", service.baseURL.host ?? "127.0.0.1",
                String(service.baseURL.port ?? 0), method, target,
            ])
        let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        return (object?["status"] as? Int ?? 0, object?["body"] as? String ?? result.description)
    }

    @Test(
        "Malformed JSON, oversized bodies, unknown paths, tile path traversal, 1,000 connections: 4xx, and the service goes on"
    )
    func hostileRequests() async throws {
        let fixture = try await ServiceFixture("svc-bad")
        let service = try fixture.start()
        defer { service.stop() }
        let operatorToken = fixture.operatorToken

        let malformed = try await service.request(
            "POST", "/v1/audits", token: operatorToken, body: Data("{\"a\":".utf8))
        #expect(malformed.status == 400, "\(malformed)")
        #expect(String(decoding: malformed.body, as: UTF8.self).contains("malformed-json"))
        let unknownField = try await service.request(
            "POST", "/v1/reconcile", token: operatorToken, body: Data(#"{"force": true}"#.utf8))
        #expect(unknownField.status == 400 && String(decoding: unknownField.body, as: UTF8.self).contains("force"))
        let oversized = try await service.request(
            "POST", "/v1/audits", token: operatorToken, body: Data(repeating: 0x20, count: 200_000))
        #expect(oversized.status == 413, "\(oversized.status)")
        #expect(try await service.request("GET", "/v1/no-such-thing").status == 401, "no hint of what exists")
        #expect(try await service.request("GET", "/v1/no-such-thing", token: fixture.readerToken).status == 404)
        #expect(try await service.request("GET", "/no-such-thing").status == 404)
        #expect(try await service.request("DELETE", "/v1/audits", token: operatorToken).status >= 400)
        #expect(try await service.request("GET", "/v1/audits?limit=abc", token: fixture.readerToken).status == 400)
        #expect(try await service.request("GET", "/v1/audits?before=../x", token: fixture.readerToken).status == 400)

        for target in [
            "/log/tile/../../../../etc/passwd", "/log/tile/0/../../../etc/passwd", "/log/tile/%2e%2e/%2e%2e/etc/passwd",
            "/log/tile/0/x001/../../../etc/passwd", "/log/tile/entries/000.p/0", "/log/tile/0/1", "/log/tile/64/000",
            "/log/tile/0/x000/005",
        ] {
            let (status, body) = try Self.raw(service, "GET", target)
            #expect((400..<500).contains(status), "\(target): \(status)")
            #expect(!body.contains("root:"), "\(target) leaked a file")
        }

        let before =
            try await service.json("GET", "/v1/status", token: fixture.readerToken).object["lastWatchAt"] as? String
        let flood = try CommandRunner.run(
            URL(fileURLWithPath: "/usr/bin/env"),
            [
                "python3", ServiceFixture.python + "/connection_flood.py", service.baseURL.host ?? "127.0.0.1",
                String(service.baseURL.port ?? 0), "/healthz", "1000",
            ])
        try #require(flood.status == 0, "\(flood)")
        let statuses = try #require(
            (try JSONSerialization.jsonObject(with: Data(flood.stdout.utf8)) as? [String: Any])?["statuses"]
                as? [String: Int])
        #expect(statuses["200"] ?? 0 >= 500, "\(statuses)")
        #expect(statuses.keys.allSatisfy { ["200", "400", "431", "closed"].contains($0) }, "\(statuses)")
        #expect(statuses["500"] == nil && statuses["connect-failed"] == nil, "\(statuses)")

        #expect(try await service.request("GET", "/healthz").status == 200)
        try await ServiceProcess.waitUntil(timeout: .seconds(30), "a watch cycle after the flood") {
            let now =
                try await service.json("GET", "/v1/status", token: fixture.readerToken).object["lastWatchAt"] as? String
            return now != nil && now != before
        }
        #expect(service.isRunning)
    }

    @Test("No PIN or API token in the log, responses, the page, metrics or the database")
    func noSecretsAnywhere() async throws {
        let pin = "Pin-\(UInt32.random(in: 100_000...999_999))-zq"
        let primary = try await SoftHSMFixture.shared.makeToken("svc-sec-p", userPIN: pin)
        let secondary = try await SoftHSMFixture.shared.makeToken("svc-sec-s", userPIN: pin)
        for token in [primary, secondary] {
            let session = try await SoftHSMFixture.shared.module().loggedInSession(token)
            try session.installTestTransportKey()
        }
        let session = try await SoftHSMFixture.shared.module().loggedInSession(primary)
        try session.importTestAESKey(label: "k", id: [1], value: TestMaterial.aesKey(1), wrapWithTrusted: false)
        let fleet = try TestFleet(
            members: [
                .init("primary-1", role: "primary", token: primary), .init("dr-1", role: "secondary", token: secondary),
            ],
            extra: TestFleet.fileKeyLog
                + "service:\n  instance: sec-1\n  listen: 127.0.0.1:0\n  tokens: file:api-tokens.yaml\n"
                + "  sync: {mode: automatic, interval: 1s}\n")
        try #require(try fleet.initializeLog(origin: "service.example/hsmsync/secrets").status == 0)
        let operatorToken = try ServiceFixture.addToken(fleet, name: "ops", role: "operator")
        let service = try ServiceProcess(fleet: fleet.path)
        let accepted = try await service.json("POST", "/v1/audits", token: operatorToken)
        let id = try #require(accepted.object["id"] as? String)
        try await ServiceProcess.waitUntil(timeout: .seconds(60), "the audit and a sync") {
            let keys =
                try await service.json("GET", "/v1/keys", token: operatorToken).object["keys"] as? [[String: Any]]
            let run = try await service.json("GET", "/v1/runs/\(id)", token: operatorToken).object
            return run["state"] as? String == "succeeded" && keys?.first?["presentEverywhereAt"] != nil
        }
        var seen = ""
        for path in [
            "/", "/metrics", "/v1/status", "/v1/keys", "/v1/audits", "/v1/runs/\(id)", "/v1/findings", "/openapi.json",
            "/log/checkpoint",
        ] {
            seen += await service.text(path, token: operatorToken)
        }
        seen += await service.text("/v1/no-such", token: "hsmsync_wrong-\(pin)")
        let stopped = service.stop()
        #expect(stopped.status == 0)
        seen += service.log.joined(separator: "\n")
        let state = fleet.directory.path("hsmsync-state")
        for file in (try? FileManager.default.contentsOfDirectory(atPath: state)) ?? [] {
            seen += String(
                decoding: (FileManager.default.contents(atPath: state + "/" + file) ?? Data()), as: UTF8.self)
        }
        seen += (try? String(contentsOfFile: fleet.directory.path("audit-log/entries.jsonl"), encoding: .utf8)) ?? ""
        #expect(seen.contains("sec-1"), "the test looked at nothing")
        #expect(!seen.contains(pin), "the PIN leaked")
        #expect(!seen.contains(operatorToken), "the API token leaked")
        #expect(!seen.contains(String(operatorToken.dropFirst(8).prefix(16))), "part of the API token leaked")
    }
}

/// Schemathesis (PyPI), an independent API fuzzer, against the OpenAPI document: bounded in count
/// and time, seeded so a failure repeats; every answer must be something other than a 5xx.
@Suite("hsmsync serve: API fuzzing with schemathesis (SoftHSM2)")
struct ServiceFuzzTests {
    @Test("schemathesis finds no 5xx (coverage, fuzzing and stateful phases, 25 examples per operation)")
    func noServerErrors() async throws {
        let fixture = try await ServiceAPITests.driftingFixture("svc-fuzz")
        let service = try fixture.start()
        defer { service.stop() }
        let fuzzed = try CommandRunner.run(
            URL(fileURLWithPath: "/usr/bin/env"),
            [
                "timeout", "300", "python3", "-m", "schemathesis.cli", "run",
                ServiceFixture.repository.appendingPathComponent("docs/openapi.json").path,
                "--url", service.baseURL.absoluteString, "--header", "Authorization: Bearer \(fixture.operatorToken)",
                "--checks", "not_a_server_error", "--max-examples", "25", "--seed", "20261207", "--no-color",
            ])
        #expect(fuzzed.status == 0, "\(fuzzed.stdout.suffix(6000))\(fuzzed.stderr.suffix(2000))")
        #expect(fuzzed.stdout.contains("passed"), "\(fuzzed.stdout.suffix(3000))")
        #expect(try await service.request("GET", "/healthz").status == 200)
    }
}
