import Foundation
import HSMSyncTesting
import PKCS11
import SecureMemory
import Testing

/// HSMs in other processes, reached through p11-kit's client module: one process, several servers.
@Suite("p11-kit client module against p11-kit server")
struct P11KitClientTests {
    /// Two SoftHSM2 configurations, each with one token, each behind its own server.
    static func twoServers(_ directory: TemporaryDirectory) throws -> [(label: String, server: P11KitServer)] {
        try ["remote-a", "remote-b"].map { label in
            let configuration = try SoftHSMConfiguration(directory: directory.url.appendingPathComponent(label))
            try configuration.initializeToken(label: label)
            let server = try P11KitServer(
                configuration: configuration, tokenLabel: label, socketPath: directory.path("\(label).sock"))
            return (label, server)
        }
    }

    @Test("One process talks to two p11-kit servers, each through its own module instance")
    func twoServersInOneProcess() async throws {
        let directory = try TemporaryDirectory(prefix: "p11kit")
        let servers = try Self.twoServers(directory)
        let registry = ModuleRegistry()
        for (label, server) in servers {
            let module = try await registry.module(
                path: SoftHSMConfiguration.p11KitClientPath, serverAddress: server.address)
            let tokens = try module.tokens(matching: TokenURI("pkcs11:model=SoftHSM%20v2"))
            #expect(tokens.map(\.token.label) == [label])
            let session = try module.openSession(tokens[0].slot, readWrite: true)
            try session.login(pin: PIN(exposedForTesting: "1234"))
            _ = try session.generateKey(
                .aesKeyGen,
                template: [
                    .class(.secretKey), .keyType(.aes), .ulong(.valueLength, 32), .bool(.token, true),
                    .label("on-\(label)"),
                ])
        }
        let first = try await registry.module(
            path: SoftHSMConfiguration.p11KitClientPath, serverAddress: servers[0].server.address)
        let second = try await registry.module(
            path: SoftHSMConfiguration.p11KitClientPath, serverAddress: servers[1].server.address)
        #expect(first !== second)
        // The process's own P11_KIT_SERVER_ADDRESS is left as it was.
        #expect(ProcessInfo.processInfo.environment["P11_KIT_SERVER_ADDRESS"] == nil)
    }

    @Test(
        "A server that is not running shows zero slots and CKR_OK, never an error: callers must treat it as unreachable"
    )
    func missingServerLooksEmpty() async throws {
        let directory = try TemporaryDirectory(prefix: "p11kit")
        let module = try await ModuleRegistry().module(
            path: SoftHSMConfiguration.p11KitClientPath, serverAddress: "unix:path=\(directory.path("nobody.sock"))")
        #expect(try module.slots().isEmpty)
        #expect(try module.tokens(matching: TokenURI("pkcs11:token=anything")).isEmpty)
    }

    @Test("A server killed while connected: the next call fails with a clear error and the process lives on")
    func serverKilled() async throws {
        let directory = try TemporaryDirectory(prefix: "p11kit")
        let servers = try Self.twoServers(directory)
        let registry = ModuleRegistry()
        let module = try await registry.module(
            path: SoftHSMConfiguration.p11KitClientPath, serverAddress: servers[0].server.address)
        let slot = try #require(try module.tokens(matching: TokenURI("pkcs11:token=remote-a")).first).slot
        let session = try module.openSession(slot, readWrite: false)
        try session.login(pin: PIN(exposedForTesting: "1234"))
        #expect(try session.findObjects().isEmpty)

        servers[0].server.kill()
        do {
            _ = try session.findObjects()
            Issue.record("a call on a dead server succeeded")
        } catch {
            #expect(error.code == .deviceError || error.code == .generalError, "\(error)")
            #expect(error.description.hasPrefix("C_FindObjectsInit: CKR_"))
        }
        // The other server is unaffected.
        let other = try await registry.module(
            path: SoftHSMConfiguration.p11KitClientPath, serverAddress: servers[1].server.address)
        #expect(try other.tokens(matching: TokenURI("pkcs11:token=remote-b")).count == 1)
    }
}
