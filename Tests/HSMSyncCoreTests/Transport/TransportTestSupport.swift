import Foundation
import HSMSyncModel
import HSMSyncTesting
import Logging
import PKCS11
import PKCS11Endpoint
import SLIP39
import SecureMemory
import SignedLog
import Testing

@testable import HSMSyncCore

/// Throwaway tokens as a fleet (`primary-1`, `dr-1`, `member-1`), with an open read-write worker per HSM.
struct TransportRig {
    static let names = ["primary-1", "dr-1", "member-1"]

    let tokens: [TestToken]
    let files: TestFleet
    let fleet: Fleet
    let workers: [HSMWorker]

    var label: String { fleet.transport.label }

    static func make(_ hint: String, count: Int = 2, badPINFor badIndex: Int? = nil) async throws -> TransportRig {
        var tokens: [TestToken] = []
        for index in 0..<count {
            tokens.append(try await SoftHSMFixture.shared.makeToken("\(hint)\(index)"))
        }
        let files = try TestFleet(
            members: tokens.enumerated().map { index, token in
                var member = TestFleet.Member(names[index], role: index == 0 ? "primary" : "secondary", token: token)
                if index == badIndex { member.pin = "Wr0ngPinValue" }
                return member
            })
        let fleet = try Fleet.load(from: files.path)
        let connector = FleetConnector(registry: SoftHSMFixture.shared.registry, logger: Logger(label: "test"))
        let connections = await connector.connect(fleet.hsms, readWrite: true)
        return TransportRig(tokens: tokens, files: files, fleet: fleet, workers: connections.compactMap(\.worker))
    }

    /// Every object the HSM's session sees (token objects and this session's session objects).
    func objectCount(_ index: Int) async throws -> Int {
        try await workers[index].withSession { try $0.findObjects().count }
    }

    /// Creates a secret key with `value` and `template` directly (a pre-existing or tampered key).
    func createKey(_ index: Int, _ template: [Attribute], value: TransportKeyMaterial) async throws {
        _ = try await workers[index].withSession { session in
            try session.createObject(template, secretValue: value.key.bytes)
        }
    }

    func verify() async -> TransportVerifyReport {
        let connector = FleetConnector(registry: SoftHSMFixture.shared.registry, logger: Logger(label: "test"))
        return await TransportVerification(connector: connector).run(fleet)
    }

    func close() async {
        for worker in workers {
            await worker.close()
        }
    }
}

/// Generates a key on `worker` (nothing installed) for the tests to install.
func generateKey(on worker: HSMWorker, label: String, threshold: Int = 2, count: Int = 3) async throws
    -> GeneratedTransportKey
{
    let parameters = try TransportShareParameters(threshold: threshold, count: count)
    return try await TransportKeyCreation(label: label, parameters: parameters).generate(on: worker)
}

/// Does what `hsmsync transport install` does with share texts: check each, recover, compare the
/// KCV, install.
func installFromShares(
    _ mnemonics: [String], on worker: HSMWorker, label: String, expectedKCV: KeyCheckValue? = nil
) async throws -> TransportKeyInstallResult {
    var recovery = ShareRecovery()
    for mnemonic in mnemonics {
        try recovery.add(SecretBytes(text: mnemonic))
    }
    let material = try TransportKeyMaterial.recover(from: recovery, expectedKCV: expectedKCV)
    return try await TransportKeyInstaller(label: label).install(material, on: worker)
}

extension GeneratedTransportKey {
    /// The shares' words (test data only).
    var mnemonics: [String] { shares.map { $0.mnemonic().text } }
}
