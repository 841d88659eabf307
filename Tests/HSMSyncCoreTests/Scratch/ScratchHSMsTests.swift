import Foundation
import HSMSyncModel
import HSMSyncTesting
import Logging
import PKCS11
import PKCS11Endpoint
import SecureMemory
import SignedLog
import Testing

@testable import HSMSyncCore

@Suite("Scratch HSMs (private SoftHSM2 copies loaded in-process)")
struct ScratchHSMsTests {
    let connector = FleetConnector(registry: SoftHSMFixture.shared.registry, logger: Logger(label: "test"))

    @Test("tokens mirror the fleet, log in with their own PINs, are invisible to the fleet's SoftHSM2, and vanish")
    func lifecycle() async throws {
        // The real fleet: two tokens of this process's SoftHSM2, with a key on the primary.
        let primary = try await SoftHSMFixture.shared.makeToken("scr-p")
        let secondary = try await SoftHSMFixture.shared.makeToken("scr-s")
        let files = try TestFleet(members: [
            .init("primary-1", role: "primary", token: primary), .init("dr-1", role: "secondary", token: secondary),
        ])
        let fleet = try Fleet.load(from: files.path)
        let real = await connector.connect(fleet.hsms, readWrite: true)
        let realPrimary = try #require(real[0].worker)
        _ = try await realPrimary.withSession {
            try $0.importTestAESKey(label: "ca-wrap", id: [1], value: Array(repeating: 7, count: 32))
        }

        let scratch = try await ScratchHSMs.mirroring(fleet, registry: SoftHSMFixture.shared.registry)
        #expect(scratch.hsms.map(\.name) == ["primary-1", "dr-1"])
        #expect(scratch.hsms.map(\.role) == [.primary, .secondary])
        #expect(scratch.hsms.map { $0.token.label } == [primary.label, secondary.label])
        let directory = scratch.directory
        let mode = try FileManager.default.attributesOfItem(atPath: directory)[.posixPermissions] as? Int
        #expect(mode == 0o700)
        for hsm in scratch.hsms {
            guard case .file(let path) = hsm.pin else { Issue.record("scratch PIN not in a file"); continue }
            #expect((try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int) == 0o600)
        }

        let rehearsal = scratch.fleet(replacing: fleet, log: nil)
        #expect(
            rehearsal.hsms == scratch.hsms && rehearsal.keys == fleet.keys && rehearsal.transport == fleet.transport)
        let connections = await connector.connect(rehearsal.hsms, readWrite: true)
        let workers = connections.compactMap(\.worker)
        #expect(
            workers.count == 2,
            "scratch tokens reachable and PINs accepted: \(connections.map { $0.error?.description ?? "ok" })")
        // Everything replication needs (p11-kit remoting would filter these).
        let slot = try #require(await workers[0].currentSlot)
        let mechanisms = Set(try workers[0].module.mechanisms(slot))
        #expect(mechanisms.isSuperset(of: [.aesKeyWrap, .aesKeyWrapPad, .aesCMAC, .ecdh1Derive, .eddsa]))
        // Same label as the real primary, but a different token: empty, and writes stay there.
        #expect(try await workers[0].withSession { try $0.findObjects().count } == 0)
        _ = try await workers[0].withSession {
            try $0.importTestAESKey(label: "rehearsal-only", id: [2], value: Array(repeating: 9, count: 32))
        }
        #expect(try await workers[0].withSession { try $0.findObjects().count } == 1)
        let realLabels = try await realPrimary.withSession { session in
            try session.findObjects().compactMap { try session.attributes([.label], of: $0).string(.label) }
        }
        #expect(realLabels == ["ca-wrap"])
        for worker in workers { await worker.close() }

        await scratch.destroy()
        #expect(!FileManager.default.fileExists(atPath: directory))
        await realPrimary.close()
    }

    @Test("one token label on two HSMs (as real fleets often have): each scratch token is a SoftHSM2 of its own")
    func sameLabel() async throws {
        let scratch = try await ScratchHSMs.start(
            // Characters a PKCS#11 URI must percent-encode: the scratch tokens must still be found.
            [
                .init(name: "a", role: .primary, tokenLabel: "CA Root;1/%"),
                .init(name: "b", role: .member, tokenLabel: "CA Root;1/%"),
            ],
            registry: SoftHSMFixture.shared.registry)
        let connections = await connector.connect(scratch.hsms, readWrite: true)
        var serials: [String?] = []
        var labels: [String?] = []
        for connection in connections {
            serials.append(await connection.worker?.tokenInfo?.serialNumber)
            labels.append(await connection.worker?.tokenInfo?.label)
        }
        #expect(serials.count == 2 && serials.allSatisfy { $0 != nil } && serials[0] != serials[1], "\(connections)")
        #expect(labels == ["CA Root;1/%", "CA Root;1/%"])
        for connection in connections { await connection.worker?.close() }
        await scratch.destroy()
    }

    @Test("two scratch HSMs with one name are refused before anything starts")
    func duplicateLabels() async throws {
        await #expect(throws: ScratchError.self) {
            _ = try await ScratchHSMs.start(
                [.init(name: "a", role: .primary, tokenLabel: "x"), .init(name: "a", role: .member, tokenLabel: "y")],
                registry: SoftHSMFixture.shared.registry)
        }
    }
}
