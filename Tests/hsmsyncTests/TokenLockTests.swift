import Foundation
import HSMSyncCore
import HSMSyncModel
import HSMSyncTesting
import PKCS11
import PKCS11Endpoint
import SignedLog
import Testing

/// Issue 17, item 3: the lock is per token, not per fleet file. Two fleet files naming the same
/// tokens (one with its own state directory and no log) never copy a key twice.
@Suite("Token lock across fleet files (SoftHSM2)")
struct TokenLockTests {
    static func session(_ token: TestToken) async throws -> Session {
        try await SoftHSMFixture.shared.module().loggedInSession(token)
    }

    /// A primary holding the test transport key and `keys` AES keys (`CKA_ID` idPrefix, index), and a
    /// DR token holding only the transport key.
    static func tokens(keys: Int, idPrefix: UInt8) async throws -> (primary: TestToken, dr: TestToken) {
        let primary = try await SoftHSMFixture.shared.makeToken("tl-p")
        let dr = try await SoftHSMFixture.shared.makeToken("tl-d")
        let session = try await session(primary)
        try session.installTestTransportKey()
        for index in 0..<keys {
            try session.importTestAESKey(
                label: "aes-\(index)", id: [idPrefix, UInt8(index)], value: TestMaterial.aesKey(UInt8(index)),
                wrapWithTrusted: false)
        }
        try await Self.session(dr).installTestTransportKey()
        return (primary, dr)
    }

    @Test(
        "Two fleet files on the same tokens run reconcile --apply at once: one waits or is refused with the holder named; never a duplicate"
    )
    func twoFleetFilesOneToken() async throws {
        let keys = 120
        let (primary, dr) = try await Self.tokens(keys: keys, idPrefix: 0xB0)
        let members: [TestFleet.Member] = [
            .init("primary-1", role: "primary", token: primary), .init("dr-1", role: "secondary", token: dr),
        ]
        let withLog = try TestFleet(name: "fleet-a", members: members, extra: TestFleet.fileKeyLog)
        #expect(try withLog.initializeLog(origin: "lock.example/hsmsync/a").status == 0)
        let withoutLog = try TestFleet(name: "fleet-b", members: members)

        let results = try await withThrowingTaskGroup(of: ProcessResult.self) { group in
            for fleet in [withLog, withoutLog] {
                group.addTask { try fleet.hsmsync(["reconcile", "--fleet", fleet.path, "--apply"]) }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        for result in results {
            let refused = result.status == 3 && result.stderr.contains("being changed by another hsmsync process")
            #expect(result.status == 0 || refused, "\(result)")
            if refused { #expect(result.stderr.contains("pid "), "the holder is named: \(result)") }
        }
        #expect(results.contains { $0.status == 0 }, "\(results)")

        let again = try withLog.hsmsync(["reconcile", "--fleet", withLog.path, "--apply", "--json"])
        #expect(again.status == 0, "\(again)")
        let count = try await Self.session(dr).findObjects().count
        #expect(count == 1 + keys, "exactly the transport key and \(keys) copies on dr-1; found \(count)")
        let audit = try withLog.hsmsync(["audit", "--fleet", withLog.path, "--json"])
        #expect(audit.status == 0, "\(audit)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(audit.stdout.utf8)) as? [String: Any])
        let kinds = (report["findings"] as? [[String: Any]] ?? []).compactMap { $0["kind"] as? String }
        #expect(!kinds.contains("duplicate"), "\(kinds)")
    }

    @Test(
        "A reconcile that wins one token's lock while another process holds the other gives it back and tries again: it runs once the holder is gone"
    )
    func partialLockIsRetried() async throws {
        let keys = 3
        let (primary, dr) = try await Self.tokens(keys: keys, idPrefix: 0xB1)
        let fleet = try TestFleet(
            name: "fleet-p",
            members: [.init("primary-1", role: "primary", token: primary), .init("dr-1", role: "secondary", token: dr)])
        let module = try await SoftHSMFixture.shared.module()
        let drInfo = try #require(try module.tokens(matching: dr.uri).first?.token)
        let primaryInfo = try #require(try module.tokens(matching: primary.uri).first?.token)

        // This process stands for another hsmsync changing dr-1, until the reconcile has won
        // primary-1's lock (its holder line is written) and so holds only part of its tokens.
        let run: Task<ProcessResult, any Error>
        do {
            let held = try TokenLock.acquire(drInfo, hsm: "dr-1", purpose: "test holding dr-1")
            run = Task { try fleet.hsmsync(["reconcile", "--fleet", fleet.path, "--apply"]) }
            let primaryLock = TokenLock.path(for: primaryInfo)
            try await ServiceProcess.waitUntil(timeout: .seconds(30), "the reconcile to take primary-1's lock") {
                ((try? String(contentsOfFile: primaryLock, encoding: .utf8)) ?? "").contains("(HSM primary-1")
            }
            withExtendedLifetime(held) {}
        }  // dr-1's lock is let go here

        let result = try await run.value
        #expect(result.status == 0, "\(result)")
        let count = try await Self.session(dr).findObjects().count
        #expect(count == 1 + keys, "the transport key and \(keys) copies on dr-1; found \(count)")
    }
}
