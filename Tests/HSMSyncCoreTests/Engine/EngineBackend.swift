import Foundation
import HSMSyncCore
import HSMSyncModel
import HSMSyncTesting
import Logging
import PKCS11
import PKCS11Endpoint
import Testing

/// Where the engine tests' HSMs live: in memory (pure logic) or on SoftHSM2 tokens through the
/// PKCS#11 endpoint (the same tests as integration evidence).
enum EngineBackendKind: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case inMemory = "in-memory"
    case softHSM2 = "SoftHSM2"

    var testDescription: String { rawValue }
}

/// A primary and a secondary, each with the same transport key, and the means to put AES keys on them.
struct EngineBackend {
    let kind: EngineBackendKind
    let files: TestFleet
    let fleet: Fleet
    let connector: any HSMConnector
    private let addKey: @Sendable (String, String, [UInt8], [UInt8]) async throws -> Void

    static let hsms = [("primary-1", "primary"), ("dr-1", "secondary")]

    static func make(_ kind: EngineBackendKind, hint: String) async throws -> EngineBackend {
        switch kind {
        case .inMemory: return try await inMemory()
        case .softHSM2: return try await softHSM2(hint: hint)
        }
    }

    /// Adds an extractable AES key with CKA_SIGN (and without CKA_WRAP_WITH_TRUSTED: the test transport
    /// key is not CKA_TRUSTED) on `hsm`.
    func addAESKey(on hsm: String, label: String, id: [UInt8], value: [UInt8]) async throws {
        try await addKey(hsm, label, id, value)
    }

    private static func inMemory() async throws -> EngineBackend {
        var tokens: [String: InMemoryToken] = [:]
        for (index, (name, _)) in hsms.enumerated() {
            let token = InMemoryToken(label: name, serial: "in-memory-\(index)")
            await token.add(.transportKey(label: "hsmsync-transport", value: TestMaterial.transportKey))
            tokens[name] = token
        }
        let files = try TestFleet(
            members: hsms.map { name, role in
                .init(name, role: role, tokenURI: "pkcs11:token=\(name)", module: "/in-memory/\(name).so")
            })
        let frozen = tokens
        return EngineBackend(
            kind: .inMemory, files: files, fleet: try Fleet.load(from: files.path),
            connector: InMemoryConnector(tokens: tokens)
        ) { hsm, label, id, value in
            await frozen[hsm]!.add(.aesKey(label: label, id: id.hexString, value: value))
        }
    }

    private static func softHSM2(hint: String) async throws -> EngineBackend {
        var tokens: [String: TestToken] = [:]
        for (index, (name, _)) in hsms.enumerated() {
            let token = try await SoftHSMFixture.shared.makeToken("\(hint)\(index)")
            let session = try await SoftHSMFixture.shared.module().loggedInSession(token)
            try session.installTestTransportKey()
            tokens[name] = token
        }
        let files = try TestFleet(members: hsms.map { name, role in .init(name, role: role, token: tokens[name]!) })
        let frozen = tokens
        return EngineBackend(
            kind: .softHSM2, files: files, fleet: try Fleet.load(from: files.path),
            connector: FleetConnector(registry: SoftHSMFixture.shared.registry, logger: Logger(label: "test"))
        ) { hsm, label, id, value in
            let session = try await SoftHSMFixture.shared.module().loggedInSession(frozen[hsm]!)
            try session.importTestAESKey(label: label, id: id, value: value, wrapWithTrusted: false)
        }
    }
}
