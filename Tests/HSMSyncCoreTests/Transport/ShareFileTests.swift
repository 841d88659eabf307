import Foundation
import HSMSyncModel
import HSMSyncTesting
import PKCS11
import SLIP39
import SecureMemory
import SignedLog
import Testing

@testable import HSMSyncCore

@Suite("Share files (SoftHSM2 randomness)")
struct ShareFileTests {
    static func generated() async throws -> (TransportRig, GeneratedTransportKey) {
        let rig = try await TransportRig.make("sf", count: 1)
        return (rig, try await generateKey(on: rig.workers[0], label: rig.label))
    }

    @Test("one file per custodian, mode 0600, notes without secrets, words that parse back")
    func write() async throws {
        let (rig, generated) = try await Self.generated()
        let directory = try TemporaryDirectory(prefix: "shares")
        let plan = try ShareFilePlan(directory: directory.url.path, count: 3)
        let written = try plan.write(generated, fleet: "demo")
        #expect(
            written.map { URL(fileURLWithPath: $0).lastPathComponent } == [
                "transport-share-1-of-3.txt", "transport-share-2-of-3.txt", "transport-share-3-of-3.txt",
            ])
        var recovery = ShareRecovery()
        for (index, path) in written.enumerated() {
            let attributes = try FileManager.default.attributesOfItem(atPath: path)
            #expect((attributes[.posixPermissions] as? Int) == 0o600)
            #expect(ShareFileReader.permissionWarning(path) == nil)
            let text = try String(contentsOfFile: path, encoding: .utf8)
            let kcv = generated.material.kcv
            #expect(
                text.hasPrefix(
                    "# hsmsync transport key share: fleet \"demo\", share \(index + 1) of set "
                        + "\(generated.shares[0].metadata.identifier), 2 shares needed\n# custodian \(index + 1) of 3; transport label "
                        + "\"hsmsync-transport\"; made on HSM primary-1"))
            #expect(text.contains("# key check value \(kcv.hex) (\(kcv.words.joined(separator: " ")))"))
            let words = text.split(separator: "\n").filter { !$0.hasPrefix("#") && !$0.isEmpty }
            #expect(words.count == 3 && words.allSatisfy { $0.split(separator: " ").count == 11 })
            try recovery.add(try ShareFileReader.read(path))
        }
        #expect(try TransportKeyMaterial.recover(from: recovery).kcv == generated.material.kcv)
        await rig.close()
    }

    @Test("an existing share file stops the ceremony before anything is made; never overwritten")
    func existing() throws {
        let directory = try TemporaryDirectory(prefix: "shares")
        let path = directory.path("transport-share-2-of-3.txt")
        try "precious".write(toFile: path, atomically: false, encoding: .utf8)
        #expect(throws: TransportError.outputExists(path: path)) {
            _ = try ShareFilePlan(directory: directory.url.path, count: 3)
        }
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "precious")
        #expect(throws: TransportError.self) { _ = try ShareFilePlan(directory: directory.path("missing"), count: 3) }
        #expect(throws: TransportError.self) { _ = try ShareFilePlan(directory: path, count: 3) }
    }

    @Test("a file that appears between plan and write: the files this run made are removed, the other is kept")
    func race() async throws {
        let (rig, generated) = try await Self.generated()
        let directory = try TemporaryDirectory(prefix: "shares")
        let plan = try ShareFilePlan(directory: directory.url.path, count: 3)
        try "someone else's".write(toFile: plan.paths[2], atomically: false, encoding: .utf8)
        #expect(throws: TransportError.outputExists(path: plan.paths[2])) {
            _ = try plan.write(generated, fleet: "demo")
        }
        #expect(!FileManager.default.fileExists(atPath: plan.paths[0]))
        #expect(!FileManager.default.fileExists(atPath: plan.paths[1]))
        #expect(try String(contentsOfFile: plan.paths[2], encoding: .utf8) == "someone else's")
        await rig.close()
    }

    @Test("reading: missing, not regular, too large; a readable-by-others file is warned about")
    func reading() throws {
        let directory = try TemporaryDirectory(prefix: "shares")
        #expect(throws: TransportError.self) { _ = try ShareFileReader.read(directory.path("none")) }
        #expect(throws: TransportError.self) { _ = try ShareFileReader.read(directory.url.path) }
        let big = directory.path("big")
        try String(repeating: "x", count: ShareFileReader.maximumSize + 1).write(
            toFile: big, atomically: false, encoding: .utf8)
        #expect(throws: TransportError.self) { _ = try ShareFileReader.read(big) }
        let open = directory.path("open")
        #expect(
            FileManager.default.createFile(
                atPath: open, contents: Data("words".utf8), attributes: [.posixPermissions: 0o644]))
        #expect(ShareFileReader.permissionWarning(open)?.contains("mode 644") == true)
        #expect(try ShareFileReader.read(open).count == 5)
    }
}
