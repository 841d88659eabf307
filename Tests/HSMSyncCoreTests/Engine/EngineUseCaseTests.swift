import Foundation
import HSMSyncCore
import HSMSyncModel
import HSMSyncTesting
import Synchronization
import Testing

/// The engine's audit and reconcile as a front end calls them — typed reports and progress events,
/// no terminal — once through an in-memory endpoint (the logic: drift, planning, journaling) and
/// once through the PKCS#11 endpoint on SoftHSM2 tokens (the same assertions as integration evidence).
@Suite("Engine use cases: audit and reconcile, in memory and on SoftHSM2")
struct EngineUseCaseTests {
    /// primary-1 holds ca-root, ca-issuing and shared; dr-1 holds ca-root and other material under
    /// shared's identity.
    static func drifted(_ kind: EngineBackendKind, hint: String) async throws -> EngineBackend {
        let backend = try await EngineBackend.make(kind, hint: hint)
        try await backend.addAESKey(on: "primary-1", label: "ca-root", id: [1], value: TestMaterial.aesKey(1))
        try await backend.addAESKey(on: "primary-1", label: "ca-issuing", id: [2], value: TestMaterial.aesKey(2))
        try await backend.addAESKey(on: "primary-1", label: "shared", id: [3], value: TestMaterial.aesKey(3))
        try await backend.addAESKey(on: "dr-1", label: "ca-root", id: [1], value: TestMaterial.aesKey(1))
        try await backend.addAESKey(on: "dr-1", label: "shared", id: [3], value: TestMaterial.aesKey(4))
        return backend
    }

    /// Findings other than policy ones, as "kind hsm label" lines.
    static func drift(_ findings: [Finding]) -> [String] {
        findings.filter { $0.kind != .policy }.map { "\($0.kind.rawValue) \($0.hsm) \($0.key?.label ?? "-")" }.sorted()
    }

    @Test("audit: a missing key and a material mismatch, named per HSM", arguments: EngineBackendKind.allCases)
    func audit(_ kind: EngineBackendKind) async throws {
        let backend = try await Self.drifted(kind, hint: "eaud")
        let report = await ParityAudit(scanner: InventoryScanner(connector: backend.connector)).run(backend.fleet)
        #expect(report.status == .drift)
        #expect(
            Self.drift(report.findings) == ["material-mismatch dr-1 shared", "missing dr-1 ca-issuing"],
            "\(report.findings)")
    }

    @Test(
        "audit events: one scan per HSM, its object count, progress ending at the count",
        arguments: EngineBackendKind.allCases)
    func auditEvents(_ kind: EngineBackendKind) async throws {
        let backend = try await Self.drifted(kind, hint: "eaev")
        let run = ParityAudit(scanner: InventoryScanner(connector: backend.connector)).start(backend.fleet)
        var finished: [String: Int] = [:]
        var lastProgress: [String: (read: Int, found: Int)] = [:]
        for await event in run.events {
            switch event {
            case .scanProgress(let hsm, let read, let found): lastProgress[hsm] = (read, found)
            case .scanFinished(let hsm, let objects): finished[hsm] = objects
            default: Issue.record("unexpected event \(event)")
            }
        }
        let report = await run.result.value
        // Objects: the transport key and the AES keys (3 on primary-1, 2 on dr-1).
        #expect(finished == ["primary-1": 4, "dr-1": 3])
        #expect(lastProgress["primary-1"]?.read == 4 && lastProgress["primary-1"]?.found == 4)
        #expect(lastProgress["dr-1"]?.read == 3 && lastProgress["dr-1"]?.found == 3)
        #expect(report.status == .drift)
    }

    @Test(
        "reconcile plans the missing key only; applying copies it, a second run has nothing to do",
        arguments: EngineBackendKind.allCases)
    func reconcile(_ kind: EngineBackendKind) async throws {
        let backend = try await Self.drifted(kind, hint: "erec")
        let reconcile = ReconcileRun(connector: backend.connector)

        let plan = try await reconcile.run(backend.fleet, apply: false)
        #expect(
            plan.planned.map { "\($0.key.label) \($0.source)→\($0.destination)" } == ["ca-issuing primary-1→dr-1"],
            "\(plan.skipped)")
        #expect(plan.copied.isEmpty, "\(plan.skipped)")
        #expect(plan.conflicts.map { $0.key?.label } == ["shared"], "the mismatch is never touched")

        let applied = try await reconcile.run(backend.fleet, apply: true)
        #expect(applied.copied.map(\.key.label) == ["ca-issuing"])
        #expect(applied.failures.isEmpty, "\(applied.failures)")
        #expect(try ReplicationJournal.pending(in: backend.fleet.stateDirectory).isEmpty)

        let again = try await reconcile.run(backend.fleet, apply: true)
        #expect(again.planned.isEmpty && again.copied.isEmpty)
        let audit = await ParityAudit(scanner: InventoryScanner(connector: backend.connector)).run(backend.fleet)
        #expect(Self.drift(audit.findings) == ["material-mismatch dr-1 shared"], "\(audit.findings)")
    }

    @Test(
        "reconcile events: copies planned, then each copy with its outcome and count",
        arguments: EngineBackendKind.allCases)
    func reconcileEvents(_ kind: EngineBackendKind) async throws {
        let backend = try await Self.drifted(kind, hint: "erev")
        try await backend.addAESKey(on: "primary-1", label: "ca-ocsp", id: [5], value: TestMaterial.aesKey(5))
        let run = ReconcileRun(connector: backend.connector).start(backend.fleet, apply: true)
        var planned: [Int] = []
        var copies: [CopyProgress] = []
        var scans: Set<String> = []
        for await event in run.events {
            switch event {
            case .copiesPlanned(let count, _): planned.append(count)
            case .copyFinished(let copy): copies.append(copy)
            case .scanFinished(let hsm, _): scans.insert(hsm)
            case .scanProgress: break
            case .scanFailed(let hsm, let reason): Issue.record("\(hsm): \(reason)")
            }
        }
        let report = try await run.result.value
        #expect(scans == ["primary-1", "dr-1"])
        #expect(planned == [2])
        #expect(copies.map(\.done) == [1, 2] && copies.allSatisfy { $0.total == 2 })
        #expect(copies.allSatisfy { $0.outcome == .copied && $0.source == "primary-1" && $0.destination == "dr-1" })
        #expect(Set(copies.map(\.key.label)) == ["ca-issuing", "ca-ocsp"])
        #expect(report.copied.count == 2)
    }

    @Test(
        "reconcile without a log: a pending copy whose key is absent is rolled back and planned again",
        arguments: EngineBackendKind.allCases)
    func recoveryOfAbsentCopy(_ kind: EngineBackendKind) async throws {
        let backend = try await Self.drifted(kind, hint: "ejrn")
        let fleet = backend.fleet
        try FileManager.default.createDirectory(atPath: fleet.stateDirectory, withIntermediateDirectories: true)
        let journal = try ReplicationJournal(directory: fleet.stateDirectory)
        let identity = KeyIdentity(objectClass: .secretKey, label: "ca-issuing", id: "02")
        try journal.intend(
            [
                .init(
                    op: "interrupted-1", key: identity, publicKey: nil, source: "primary-1", destination: "dr-1",
                    fingerprint: .unavailable(reason: "test"), incompleteObjectsBefore: 0, keyPolicy: nil,
                    publicKeyPolicy: nil)
            ], batch: "batch-1")

        let report = try await ReconcileRun(connector: backend.connector).run(fleet, apply: true)
        #expect(report.recovered.map { "\($0.op) \($0.outcome)" } == ["interrupted-1 rolled-back"])
        #expect(report.copied.map(\.key.label) == ["ca-issuing"])
        #expect(try ReplicationJournal.pending(in: fleet.stateDirectory).isEmpty)
    }
}
