import Foundation
import HSMSyncModel
import HSMSyncTesting
import Logging
import PKCS11
import PKCS11Endpoint
import SignedLog
import Testing

@testable import HSMSyncCore

/// A primary and a secondary on throwaway tokens, both with the test transport key, and an open,
/// scanned read-write worker per HSM.
struct ReplicationRig {
    let tokens: [TestToken]
    let files: TestFleet
    let fleet: Fleet
    let workers: [HSMWorker]

    var primary: HSMWorker { workers[0] }
    var secondary: HSMWorker { workers[1] }

    /// Makes the tokens; `prepare` runs on each token's session before the workers open (index, session).
    static func make(_ hint: String, prepare: (Int, borrowing Session) throws -> Void) async throws -> ReplicationRig {
        var tokens: [TestToken] = []
        for index in 0..<2 {
            let token = try await SoftHSMFixture.shared.makeToken("\(hint)\(index)")
            let session = try await SoftHSMFixture.shared.module().loggedInSession(token)
            try prepare(index, session)
            tokens.append(token)
        }
        let files = try TestFleet(members: [
            .init("primary-1", role: "primary", token: tokens[0]), .init("dr-1", role: "secondary", token: tokens[1]),
        ])
        let fleet = try Fleet.load(from: files.path)
        let connector = FleetConnector(registry: SoftHSMFixture.shared.registry, logger: Logger(label: "test"))
        let workers = await connector.connect(fleet.hsms, readWrite: true).compactMap(\.worker)
        #expect(workers.count == 2)
        let rig = ReplicationRig(tokens: tokens, files: files, fleet: fleet, workers: workers)
        _ = try await rig.scan()
        return rig
    }

    /// Scans both tokens (refreshing the workers' handles).
    func scan() async throws -> [TokenScan] {
        var scans: [TokenScan] = []
        for worker in workers {
            scans.append(try await worker.scanToken(transportLabel: fleet.transport.label, scope: fleet.keys))
        }
        return scans
    }

    /// The drift findings between the two tokens, as "kind hsm label" lines, policy findings left out.
    func findings() async throws -> [String] {
        let scans = try await scan()
        let hsmScans = zip(fleet.hsms, scans).map { configuration, scan in
            HSMScan.scanned(
                configuration,
                TokenInventory(
                    hsm: configuration.name, role: configuration.role, site: configuration.site,
                    token: TokenSummary(label: "", serial: "", model: "", manufacturer: ""), objects: scan.objects,
                    transport: scan.transport, vanished: 0, scanSeconds: 0, phases: scan.phases))
        }
        return DriftEngine(fleet: fleet).evaluate(hsmScans).findings.filter { $0.kind != .policy }.map {
            "\($0.kind.rawValue) \($0.hsm) \($0.key?.label ?? "-")"
        }.sorted()
    }

    func objectCount(_ worker: HSMWorker) async throws -> Int {
        try await worker.withSession { try $0.findObjects().count }
    }

    func close() async {
        for worker in workers { await worker.close() }
    }
}

extension Session {
    /// An extractable RSA-2048 pair generated in the token (label and ID shared), without
    /// CKA_WRAP_WITH_TRUSTED: the common deployed case.
    func generateTestRSAPair(label: String, id: [UInt8]) throws {
        _ = try generateKeyPair(
            .rsaKeyPairGen,
            publicKeyTemplate: [
                .bool(.token, true), .label(label), .id(id), .ulong(.modulusBits, 2048),
                .bytes(.publicExponent, [1, 0, 1]), .bool(.verify, true), .bool(.encrypt, false),
                .bool(.wrap, false), .bool(.verifyRecover, false), .bool(.derive, false), .bool(.private, false),
            ],
            privateKeyTemplate: [
                .bool(.token, true), .label(label), .id(id), .bool(.private, true), .bool(.sensitive, true),
                .bool(.extractable, true), .bool(.wrapWithTrusted, false), .bool(.sign, true),
                .bool(.decrypt, false), .bool(.unwrap, false), .bool(.signRecover, false), .bool(.derive, false),
            ])
    }
}
