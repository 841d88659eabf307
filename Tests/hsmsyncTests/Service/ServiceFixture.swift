import Foundation
import Glibc
import HSMSyncTesting
import PKCS11
import Testing

/// A three-HSM fleet (primary, member, secondary) on throwaway SoftHSM2 tokens, each holding the
/// test transport key, with a signed log, a `service:` section, and tokens for both roles.
struct ServiceFixture {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    static let python = repository.appendingPathComponent("Tests/Python").path

    let primary: TestToken
    let member: TestToken
    let secondary: TestToken
    let fleet: TestFleet
    let readerToken: String
    let operatorToken: String

    /// - Parameter service: lines inside `service:` after the fixed ones (instance, listen, tokens).
    init(_ prefix: String, service: String = "  sync: {mode: plan, interval: 2s}\n", log: Bool = true) async throws {
        primary = try await SoftHSMFixture.shared.makeToken("\(prefix)-p")
        member = try await SoftHSMFixture.shared.makeToken("\(prefix)-m")
        secondary = try await SoftHSMFixture.shared.makeToken("\(prefix)-s")
        for token in [primary, member, secondary] {
            let session = try await SoftHSMFixture.shared.module().loggedInSession(token)
            try session.installTestTransportKey()
        }
        var extra = log ? TestFleet.fileKeyLog : ""
        extra += "service:\n  instance: \(prefix)-1\n  listen: 127.0.0.1:0\n  tokens: file:api-tokens.yaml\n"
        extra += service
        fleet = try TestFleet(
            members: [
                .init("primary-1", role: "primary", token: primary, site: "site-a"),
                .init("member-1", role: "member", token: member, site: "site-a"),
                .init("dr-1", role: "secondary", token: secondary, site: "site-b"),
            ], extra: extra)
        if log {
            let created = try fleet.initializeLog(origin: "service.example/hsmsync/\(prefix)")
            try #require(created.status == 0, "\(created)")
        }
        readerToken = try Self.addToken(fleet, name: "prometheus", role: "reader")
        operatorToken = try Self.addToken(fleet, name: "alice", role: "operator")
    }

    static func addToken(_ fleet: TestFleet, name: String, role: String) throws -> String {
        let result = try fleet.hsmsync(["serve", "token", "add", "--fleet", fleet.path, "--name", name, "--role", role])
        try #require(result.status == 0, "\(result)")
        let token = result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        try #require(token.hasPrefix("hsmsync_") && token.count > 40, "\(result)")
        return token
    }

    func start(environment: [String: String] = [:]) throws -> ServiceProcess {
        try ServiceProcess(fleet: fleet.path, environment: environment)
    }

    /// Runs the demo CA: `count` keys generated inside `hsm`, as a CA would.
    ///
    /// Retried on `CKR_GENERAL_ERROR` at login: SoftHSM2 rewrites `token.object` in place at every
    /// `C_Login`, and the service logs in to every token each watch cycle, so a CA process logging
    /// in at the same moment can read a half-written file (P26 in softhsm2-and-p11-kit.md). Retried
    /// too while a sync of the service holds the token's lock.
    func generate(on hsm: String, label: String, id: String, type: String = "ec-p256", count: Int = 1) throws {
        var result: ProcessResult
        var attempt = 0
        repeat {
            attempt += 1
            result = try CommandRunner.run(
                CommandRunner.productsDirectory.appendingPathComponent("hsmsync-demo-ca"),
                [
                    "--fleet", fleet.path, "--hsm", hsm, "--label", label, "--id", id, "--type", type,
                    "--count", "\(count)",
                ],
                environment: SoftHSMFixture.shared.environment)
            if result.stderr.contains("being changed by another hsmsync process") {
                Thread.sleep(forTimeInterval: 0.1)
            }
        } while result.status != 0
            && (result.stderr.contains("C_Login: CKR_GENERAL_ERROR") && attempt < 5
                || result.stderr.contains("being changed by another hsmsync process") && attempt < 300)
        try #require(result.status == 0, "\(result)")
    }

    /// `hsmsync inventory --json`: per HSM, the labels starting with `prefix` and how many objects
    /// the token holds in all.
    func labels(startingWith prefix: String) throws -> [(hsm: String, labels: [String], objects: Int)] {
        let result = try fleet.hsmsync(["inventory", "--fleet", fleet.path, "--json"])
        let document = try #require(
            try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], "\(result)")
        return (document["hsms"] as? [[String: Any]] ?? []).map { hsm in
            let objects = hsm["objects"] as? [[String: Any]] ?? []
            return (
                hsm["name"] as? String ?? "?",
                objects.compactMap { $0["label"] as? String }.filter { $0.hasPrefix(prefix) }, objects.count
            )
        }
    }

    /// Starts an audit over the API and waits until it has succeeded; returns its id.
    func auditToCompletion(on service: ServiceProcess) async throws -> String {
        let accepted = try await service.json("POST", "/v1/audits", token: operatorToken)
        #expect(accepted.status == 202, "\(accepted)")
        let id = try #require(accepted.object["id"] as? String)
        try await ServiceProcess.waitUntil(
            timeout: .seconds(60), "audit \(id) finished",
            state: { await service.text("/v1/runs/\(id)", token: readerToken) }
        ) {
            let run = try await service.json("GET", "/v1/runs/\(id)", token: readerToken).object
            return run["state"] as? String == "succeeded"
        }
        return id
    }

    /// `hsmsync inventory --json`: per HSM, the fingerprints of the objects labelled `label`.
    func fingerprints(of label: String) throws -> [String: [String]] {
        let result = try fleet.hsmsync(["inventory", "--fleet", fleet.path, "--json"])
        try #require(result.status == 0, "\(result)")
        let document = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        var found: [String: [String]] = [:]
        for hsm in document["hsms"] as? [[String: Any]] ?? [] {
            let name = hsm["name"] as? String ?? "?"
            for object in hsm["objects"] as? [[String: Any]] ?? [] where object["label"] as? String == label {
                let fingerprint = object["fingerprint"] as? [String: Any]
                found[name, default: []].append("\(object["class"] ?? "")=\(fingerprint?["sha256"] ?? "unavailable")")
            }
        }
        return found
    }
}

/// The webhook receiver (Tests/Python/webhook_sink.py): every POST body it got, one per line.
final class WebhookSink: Sendable {
    let process: Process
    let port: Int
    let file: String
    let directory: TemporaryDirectory

    init(failFirst: Int = 0) throws {
        directory = try TemporaryDirectory(prefix: "webhook")
        file = directory.path("received.jsonl")
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", ServiceFixture.python + "/webhook_sink.py", file, String(failFirst)]
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        var line = Data()
        while !line.contains(UInt8(ascii: "\n")) {
            let chunk = out.fileHandleForReading.availableData
            guard !chunk.isEmpty else { throw ServiceProcessError.didNotStart(log: "webhook_sink.py exited") }
            line.append(chunk)
        }
        port = Int(String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
    }

    var url: String { "http://127.0.0.1:\(port)/hook" }

    var received: [[String: Any]] {
        let text = (try? String(contentsOfFile: file, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
    }

    deinit {
        // Not waitUntilExit(): off the main thread it can spin on a run loop that never sees the exit.
        kill(process.processIdentifier, SIGKILL)
        let deadline = Date().addingTimeInterval(5)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
    }
}
