import Dispatch
import Foundation
import HSMSyncCore
import HSMSyncModel
import HSMSyncTesting
import Logging
import PKCS11
import PKCS11Endpoint
import SignedLog
import Testing

@Suite("HSM workers (SoftHSM2)")
struct HSMWorkerTests {
    static func fleet(_ tokens: [TestToken]) throws -> (TestFleet, Fleet) {
        let test = try TestFleet(
            members: tokens.enumerated().map { index, token in
                .init("hsm-\(index)", role: index == 0 ? "primary" : "member", token: token)
            })
        return (test, try Fleet.load(from: test.path))
    }

    @Test("Two workers run at the same time on their own threads")
    func workersRunInParallel() async throws {
        let tokens = [
            try await SoftHSMFixture.shared.makeToken("par-a"), try await SoftHSMFixture.shared.makeToken("par-b"),
        ]
        let (files, fleet) = try Self.fleet(tokens)
        let connector = FleetConnector(registry: SoftHSMFixture.shared.registry, logger: Logger(label: "test"))
        let connections = await connector.connect(fleet.hsms, readWrite: false)
        let first = try #require(connections[0].worker)
        let second = try #require(connections[1].worker)

        // The first worker blocks its thread until the second one has run: with both on one thread
        // (or on a starved pool) this would time out instead.
        let signal = DispatchSemaphore(value: 0)
        async let waited = first.withSession { _ in signal.wait(timeout: .now() + 20) == .success }
        try await Task.sleep(for: .milliseconds(50))
        try await second.withSession { session in
            _ = try session.info()
            signal.signal()
        }
        #expect(try await waited)
        withExtendedLifetime(files) {}
    }

    @Test("A worker runs its session calls on its own thread, off the cooperative pool")
    func dedicatedThread() async throws {
        let token = try await SoftHSMFixture.shared.makeToken("thr")
        let (files, fleet) = try Self.fleet([token])
        let connector = FleetConnector(registry: SoftHSMFixture.shared.registry, logger: Logger(label: "test"))
        let worker = try #require(await connector.connect(fleet.hsms, readWrite: false)[0].worker)
        let onWorkerThread = try await worker.withSession { _ in worker.isOnWorkerThread }
        #expect(onWorkerThread)
        #expect(!worker.isOnWorkerThread)
        #expect(await worker.tokenInfo?.label == token.label)
        withExtendedLifetime(files) {}
    }

    @Test("A closed worker refuses work")
    func closed() async throws {
        let token = try await SoftHSMFixture.shared.makeToken("cls")
        let (files, fleet) = try Self.fleet([token])
        let connector = FleetConnector(registry: SoftHSMFixture.shared.registry, logger: Logger(label: "test"))
        let worker = try #require(await connector.connect(fleet.hsms, readWrite: false)[0].worker)
        await worker.close()
        await #expect(throws: HSMError(hsm: "hsm-0", .notOpen)) {
            try await worker.withSession { _ in 1 }
        }
        withExtendedLifetime(files) {}
    }
}
