import Foundation
import HSMSyncTesting
import PKCS11
import Testing

/// The service's HTTP API over real HTTP: roles, runs, the same findings as `hsmsync audit --json`,
/// metrics read by an independent parser, the page in a real browser, and hostile requests.
@Suite("hsmsync serve: HTTP API (SoftHSM2)", .serialized)
struct ServiceAPITests {
    /// A fleet with drift: a key on the primary only (plan mode: nothing is copied).
    static func driftingFixture(_ prefix: String) async throws -> ServiceFixture {
        let fixture = try await ServiceFixture(prefix)
        let session = try await SoftHSMFixture.shared.module().loggedInSession(fixture.primary)
        try session.importTestAESKey(
            label: "only-on-primary", id: [0x51], value: TestMaterial.aesKey(5), wrapWithTrusted: false)
        return fixture
    }

    @Test("POST /v1/audits: 401 without a token, 403 for a reader, 202 for an operator; the run has the CLI's findings")
    func auditOverHTTP() async throws {
        let fixture = try await Self.driftingFixture("svc-api")
        let service = try fixture.start()
        defer { service.stop() }

        #expect(try await service.request("POST", "/v1/audits").status == 401)
        #expect(try await service.request("POST", "/v1/audits", token: "hsmsync_not-a-token").status == 401)
        #expect(try await service.request("GET", "/v1/status").status == 401)
        let forbidden = try await service.json("POST", "/v1/audits", token: fixture.readerToken)
        #expect(forbidden.status == 403, "\(forbidden)")
        #expect((forbidden.object["error"] as? [String: Any])?["code"] as? String == "forbidden")

        let accepted = try await service.json("POST", "/v1/audits", token: fixture.operatorToken)
        #expect(accepted.status == 202, "\(accepted)")
        let id = try #require(accepted.object["id"] as? String)
        var run: [String: Any] = [:]
        try await ServiceProcess.waitUntil(
            timeout: .seconds(60), "audit \(id) finished",
            state: { await service.text("/v1/runs/\(id)", token: fixture.readerToken) }
        ) {
            run = try await service.json("GET", "/v1/runs/\(id)", token: fixture.readerToken).object
            return ["succeeded", "failed"].contains(run["state"] as? String ?? "")
        }
        #expect(run["state"] as? String == "succeeded", "\(run)")
        #expect(run["requestedBy"] as? String == "token:alice")

        let audits = try await service.json("GET", "/v1/audits?limit=5", token: fixture.readerToken).object
        let listed = try #require(audits["audits"] as? [[String: Any]])
        #expect(listed.first?["id"] as? String == id, "\(audits)")
        #expect(listed.first?["status"] as? String == "drift")

        let cli = try fixture.fleet.hsmsync(["audit", "--fleet", fixture.fleet.path, "--json"])
        #expect(cli.status == 1, "\(cli)")
        let cliReport = try #require(try JSONSerialization.jsonObject(with: Data(cli.stdout.utf8)) as? [String: Any])
        let served = try await service.json("GET", "/v1/audits/\(id)", token: fixture.readerToken).object
        #expect(Self.findings(served) == Self.findings(cliReport), "served \(served) cli \(cliReport)")
        #expect(Self.findings(try #require(run["report"] as? [String: Any])) == Self.findings(cliReport))
        #expect(Self.findings(cliReport).contains("missing member-1 only-on-primary"))

        let findings = try await service.json("GET", "/v1/findings?kind=missing&hsm=dr-1", token: fixture.readerToken)
        let missing = try #require(findings.object["findings"] as? [[String: Any]], "\(findings)")
        #expect(missing.count == 1 && missing.first?["hsm"] as? String == "dr-1", "\(findings)")
        #expect(
            try await service.request("GET", "/v1/findings?kind=nonsense", token: fixture.readerToken).status == 400)
        #expect(try await service.request("GET", "/v1/runs/no-such-run", token: fixture.readerToken).status == 404)

        // Eight operators at once: each gets 202 or 409, and every 202 is one run (no duplicate queued).
        let operatorToken = fixture.operatorToken
        let answers = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<8 {
                group.addTask { try await service.request("POST", "/v1/audits", token: operatorToken).status }
            }
            return try await group.reduce(into: [Int]()) { $0.append($1) }
        }
        #expect(answers.allSatisfy { $0 == 202 || $0 == 409 } && answers.contains(202), "\(answers)")
        try await ServiceProcess.waitUntil(timeout: .seconds(60), "the concurrent audits to end") {
            let runs = try await service.json("GET", "/v1/audits?limit=50", token: fixture.readerToken).object
            let audits = runs["audits"] as? [[String: Any]] ?? []
            return audits.allSatisfy { ["succeeded", "failed"].contains($0["state"] as? String ?? "") }
        }
        let all = try await service.json("GET", "/v1/audits?limit=50", token: fixture.readerToken).object
        #expect((all["audits"] as? [Any])?.count == 1 + answers.filter { $0 == 202 }.count, "\(answers) \(all)")

        let plan = try await service.json("GET", "/v1/reconcile/plan", token: fixture.readerToken)
        #expect(plan.status == 200 && plan.object["applied"] as? Bool == false, "\(plan)")
        #expect((plan.object["planned"] as? [Any])?.count == 2, "to member-1 and dr-1: \(plan)")
    }

    /// `kind hsm label` of every finding, as a set.
    static func findings(_ report: [String: Any]) -> Set<String> {
        Set(
            (report["findings"] as? [[String: Any]] ?? []).map { finding in
                let key = finding["key"] as? [String: Any]
                return "\(finding["kind"] ?? "") \(finding["hsm"] ?? "") \(key?["label"] ?? "-")"
            })
    }

    @Test("/metrics parses with prometheus_client's parser and agrees with /v1/status")
    func metricsAgreeWithStatus() async throws {
        let fixture = try await Self.driftingFixture("svc-met")
        let service = try fixture.start()
        defer { service.stop() }
        let accepted = try await service.json("POST", "/v1/audits", token: fixture.operatorToken)
        let id = try #require(accepted.object["id"] as? String, "\(accepted)")
        try await ServiceProcess.waitUntil(timeout: .seconds(60), "audit \(id)") {
            try await service.json("GET", "/v1/runs/\(id)", token: fixture.readerToken).object["state"] as? String
                == "succeeded"
        }
        let status = try await service.json("GET", "/v1/status", token: fixture.readerToken).object
        let (code, headers, body) = try await service.request("GET", "/metrics")
        #expect(code == 200 && headers["content-type"]?.hasPrefix("text/plain") == true)
        let parsed = try CommandRunner.run(
            URL(fileURLWithPath: "/usr/bin/env"), ["python3", ServiceFixture.python + "/metrics_oracle.py"],
            input: String(decoding: body, as: UTF8.self))
        try #require(parsed.status == 0, "\(parsed)")
        let samples = try #require(try JSONSerialization.jsonObject(with: Data(parsed.stdout.utf8)) as? [[Any]])
        func value(_ name: String, _ labels: [String: String]) -> Double? {
            samples.first { sample in
                sample[0] as? String == name
                    && labels.allSatisfy { (sample[1] as? [String: String])?[$0.key] == $0.value }
            }?[2] as? Double
        }
        let fleetStatus = try #require(status["status"] as? String)
        #expect(fleetStatus == "drift")
        #expect(value("hsmsync_service_fleet_status", ["status": fleetStatus]) == 1)
        #expect(value("hsmsync_service_fleet_status", ["status": "parity"]) == 0)
        for hsm in status["hsms"] as? [[String: Any]] ?? [] {
            let name = try #require(hsm["name"] as? String)
            #expect(value("hsmsync_service_hsm_objects", ["hsm": name]) == (hsm["objects"] as? Double), "\(name)")
            #expect(value("hsmsync_service_hsm_reachable", ["hsm": name]) == 1)
        }
        #expect(value("hsmsync_audit_parity", [:]) == 0)
        #expect(value("hsmsync_audit_findings", ["kind": "missing"]) == 2)
        #expect(value("hsmsync_service_runs_total", ["kind": "audit", "outcome": "succeeded"]) == 1)
        #expect((value("hsmsync_service_last_successful_audit_timestamp_seconds", [:]) ?? 0) > 1_700_000_000)
    }

    @Test("The status page, rendered by headless Chromium, says what a person at 3 a.m. needs")
    func statusPageInBrowser() async throws {
        let fixture = try await Self.driftingFixture("svc-page")
        let service = try fixture.start()
        defer { service.stop() }
        try await ServiceProcess.waitUntil(timeout: .seconds(30), "the first watch cycle") {
            try await service.json("GET", "/v1/status", token: fixture.readerToken).object["status"] as? String
                == "drift"
        }
        let profile = try TemporaryDirectory(prefix: "chromium")
        let rendered = try CommandRunner.run(
            URL(fileURLWithPath: "/usr/bin/chromium"),
            [
                "--headless", "--no-sandbox", "--disable-gpu", "--user-data-dir=\(profile.path("profile"))",
                "--virtual-time-budget=2000", "--dump-dom", service.baseURL.absoluteString + "/",
            ])
        try #require(rendered.status == 0, "\(rendered)")
        let dom = rendered.stdout
        for text in [
            "fleet test-fleet", "DRIFT", "primary-1", "member-1", "dr-1", "site-b", "missing (2)", "Next step:",
            "only-on-primary", "No backup has been proven restorable yet",
        ] {
            #expect(dom.contains(text), "the page lacks \"\(text)\":\n\(dom.prefix(4000))")
        }
        #expect(!dom.contains("<script"), "the page must not need JavaScript")
    }
}

/// The signed log over HTTP, checked by an independent tlog-tiles reader (Tests/Python/tiles_oracle.py).
@Suite("hsmsync serve: the signed log as tlog-tiles (SoftHSM2)")
struct ServiceLogTilesTests {
    @Test("/log/checkpoint and /log/tile/… agree with the log on disk and the checkpoint's root")
    func tilesMatchTheLog() async throws {
        let fixture = try await ServiceAPITests.driftingFixture("svc-tiles")
        let service = try fixture.start()
        defer { service.stop() }
        // A few entries: audits recorded by the service.
        for _ in 0..<3 {
            let accepted = try await service.json("POST", "/v1/audits", token: fixture.operatorToken)
            let id = try #require(accepted.object["id"] as? String, "\(accepted)")
            try await ServiceProcess.waitUntil(timeout: .seconds(60), "audit \(id)") {
                try await service.json("GET", "/v1/runs/\(id)", token: fixture.readerToken).object["state"] as? String
                    == "succeeded"
            }
        }
        let checkpoint = try await service.request("GET", "/log/checkpoint")
        #expect(checkpoint.status == 200)
        #expect(String(decoding: checkpoint.body, as: UTF8.self).hasPrefix("service.example/hsmsync/svc-tiles\n"))
        let oracle = try CommandRunner.run(
            URL(fileURLWithPath: "/usr/bin/env"),
            [
                "python3", ServiceFixture.python + "/tiles_oracle.py", service.baseURL.absoluteString + "/log",
                fixture.fleet.directory.path("audit-log"),
            ])
        #expect(oracle.status == 0 && oracle.stdout.hasPrefix("ok "), "\(oracle)")
        #expect(try await service.request("GET", "/log/tile/0/x999/999").status == 404)
    }
}

/// The OpenAPI document is generated from the route table: docs/openapi.json must be that output,
/// and every path it lists must be answered by the running service.
@Suite("hsmsync serve: the OpenAPI document (SoftHSM2)")
struct ServiceOpenAPITests {
    @Test("docs/openapi.json equals the served document, and every documented path is routed")
    func documentMatchesRoutes() async throws {
        let fixture = try await ServiceFixture("svc-oas", log: false)
        let service = try fixture.start()
        defer { service.stop() }
        let served = try await service.request("GET", "/openapi.json")
        let checkedIn = try Data(contentsOf: ServiceFixture.repository.appendingPathComponent("docs/openapi.json"))
        #expect(
            served.body == checkedIn,
            "docs/openapi.json is stale: regenerate it with `hsmsync serve openapi > docs/openapi.json`")
        let document = try #require(try JSONSerialization.jsonObject(with: served.body) as? [String: Any])
        #expect(document["openapi"] as? String == "3.1.0")
        let paths = try #require(document["paths"] as? [String: [String: Any]])
        for (path, operations) in paths {
            let concrete = path.replacingOccurrences(of: "{id}", with: "no-such-run")
                .replacingOccurrences(of: "{path}", with: "0/000")
            for method in operations.keys {
                let answer = try await service.request(method.uppercased(), concrete, token: fixture.readerToken)
                let code = (try? JSONSerialization.jsonObject(with: answer.body) as? [String: Any])
                    .flatMap { ($0["error"] as? [String: Any])?["code"] as? String }
                #expect(code != "not-found" || path.contains("{"), "\(method) \(path) is documented but not routed")
                #expect(answer.status != 405, "\(method) \(path)")
            }
        }
    }
}
