import Foundation
import HSMSyncModel
import HSMSyncTesting
import SignedLog
import Synchronization
import Testing

@_spi(Testing) @testable import HSMSyncCore

/// The writer: create, append, checkpoint, reopen, lock, recovery (AUDIT-LOG.md §4–§5).
@Suite("Audit log writer")
struct AuditLogWriterTests {
    @Test("create: layout, log.open contents, checkpoint 1, key file and vkey")
    func create() async throws {
        let fixture = try await LogFixture.make(checkpoints: [1], tail: 0)
        for name in [
            "log.vkey", "entries.jsonl", "checkpoint", "state", "LOCK", "checkpoints/00000000000000000001.note",
        ] {
            #expect(FileManager.default.fileExists(atPath: fixture.path + "/" + name), "\(name)")
        }
        let vkey = try LogVerifier.readVerifierKey(at: fixture.log.vkey)
        #expect(vkey.name == fixture.origin && vkey.type == .ed25519)
        let open = try AuditEntry(line: try fixture.lines()[0])
        #expect(open.action == "log.open" && open.seq == 0 && open.log == fixture.origin)
        #expect(open.prev == String(repeating: "0", count: 64) && open.result == "ok")
        #expect(
            open.outputs == [
                "origin": .string(fixture.origin), "vkey": .string(vkey.description), "tool": "hsmsync test",
            ])
        #expect(open.fields["v"] == 1 && open.fields["inputs"] == .object([:]))
        let attributes = try FileManager.default.attributesOfItem(atPath: fixture.keyPath)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        let checkpoint = try Checkpoint(text: SignedNote(parsing: fixture.note(size: 1)).text)
        let firstLine = try fixture.lines()[0]
        #expect(checkpoint.size == 1 && checkpoint.rootHash == TreeHasher.leafHash(firstLine))
        #expect(checkpoint.extensionLines.isEmpty)
    }

    @Test("create refuses an existing log, a key named otherwise, a bad origin")
    func createRefusals() async throws {
        let fixture = try await LogFixture.make(checkpoints: [1], tail: 0)
        let signer = try FileKeySigner(path: fixture.keyPath)
        await #expect(throws: AuditLogError.alreadyExists(path: fixture.path)) {
            _ = try await AuditLog.create(
                directory: fixture.path, origin: fixture.origin, signer: signer, actor: AuditActor(id: "t"))
        }
        await #expect(throws: AuditLogError.self) {
            _ = try await AuditLog.create(
                directory: fixture.temporary.path("other"), origin: "other.example/x", signer: signer,
                actor: AuditActor(id: "t"))
        }
        await #expect(throws: AuditLogError.self) {
            _ = try await AuditLog.create(
                directory: fixture.temporary.path("bad"), origin: "has space", signer: signer,
                actor: AuditActor(id: "t"))
        }
    }

    @Test("append: seq, prev chain, receipts; group commit writes all; reopen continues from state")
    func appendAndReopen() async throws {
        let fixture = try await LogFixture.make(checkpoints: [1, 5], tail: 0)
        let writer = try await fixture.open()
        #expect(await writer.recovery == nil)
        let receipt = try await writer.append(LogFixture.draft(5))
        let lines = try fixture.lines()
        #expect(receipt.seq == 5 && receipt.leafHash == TreeHasher.leafHash(lines[5]))
        #expect(try AuditEntry(line: lines[5]).prev == TreeHasher.leafHash(lines[4]).hex)
        let batch = try await writer.append(contentsOf: (6..<10).map { LogFixture.draft($0) })
        #expect(batch.map(\.seq) == [6, 7, 8, 9])
        let checkpoint = try await writer.checkpoint()
        let expectedRoot = RFC6962.mth(try fixture.lines().map(TreeHasher.leafHash)[...])
        #expect(checkpoint.size == 10 && checkpoint.rootHash == expectedRoot)
        let again = try await writer.checkpoint()
        #expect(again.size == 10)  // nothing new: the same checkpoint
        try await writer.close()
        await #expect(throws: AuditLogError.closed) { try await writer.append(LogFixture.draft(10)) }
        #expect(try fixture.verifyBoth().verdict == "valid")
    }

    @Test("the writer lock: a second writer is refused while the first is open")
    func lock() async throws {
        let fixture = try await LogFixture.make(checkpoints: [1], tail: 0)
        let first = try await fixture.open()
        await #expect(throws: AuditLogError.locked(path: fixture.log.lock)) { _ = try await fixture.open() }
        try await first.close()
        let second = try await fixture.open()
        try await second.close()
    }

    @Test("opening with another key is refused")
    func keyMismatch() async throws {
        let fixture = try await LogFixture.make(checkpoints: [1], tail: 0)
        let other = try NotePrivateKey.generate(name: fixture.origin)
        let path = fixture.temporary.path("other.key")
        try other.write(to: path)
        await #expect(throws: AuditLogError.self) {
            _ = try await AuditLog.open(
                directory: fixture.path, signer: try FileKeySigner(path: path), actor: AuditActor(id: "t"))
        }
    }

    @Test("invalid drafts and over-long entries are refused without writing")
    func refusals() async throws {
        let fixture = try await LogFixture.make(checkpoints: [1], tail: 0)
        let writer = try await fixture.open()
        await #expect(throws: AuditLogError.self) {
            try await writer.append(AuditEntryDraft(action: "", actor: AuditActor(id: "a")))
        }
        await #expect(throws: AuditLogError.self) {
            try await writer.append(AuditEntryDraft(action: "x y", actor: AuditActor(id: "a")))
        }
        await #expect(throws: AuditLogError.self) {
            try await writer.append(AuditEntryDraft(action: "x", actor: AuditActor(id: "")))
        }
        let huge = AuditEntryDraft(
            action: "x", actor: AuditActor(id: "a"), detail: ["blob": .string(String(repeating: "a", count: 70_000))])
        await #expect {
            try await writer.append(huge)
        } throws: { error in
            guard case AuditLogError.entryTooLong(let bytes) = error else { return false }
            return bytes > 70_000
        }
        #expect(try fixture.lines().count == 1)
        try await writer.close()
    }

    @Test("free space: a write that would eat into the reserve is refused cleanly")
    func reserve() async throws {
        let fixture = try await LogFixture.make(checkpoints: [1], tail: 0)
        var configuration = fixture.configuration
        configuration.freeSpaceReserve = UInt64.max / 2
        let writer = try await fixture.open(configuration: configuration)
        await #expect {
            try await writer.append(LogFixture.draft(1))
        } throws: { error in
            if case AuditLogError.insufficientSpace = error { return true }
            return false
        }
        #expect(try fixture.lines().count == 1)
        try await writer.close()
    }

    @Test("bulk mode signs every N entries and at close")
    func bulk() async throws {
        let fixture = try await LogFixture.make(checkpoints: [1], tail: 0)
        var configuration = fixture.configuration
        configuration.checkpointPolicy = .bulk(entries: 10, interval: .seconds(3600))
        let writer = try await fixture.open(configuration: configuration)
        for index in 1..<25 { try await writer.append(LogFixture.draft(index)) }
        #expect(await writer.signedSize == 21)
        try await writer.close()
        let sizes = try FileManager.default.contentsOfDirectory(atPath: fixture.log.checkpoints).compactMap(
            LogDirectory.size(fromNoteName:))
        #expect(Set(sizes) == [1, 11, 21, 25])
        #expect(try fixture.verifyBoth().findings.isEmpty)
    }

    @Test("bulk mode signs after the interval even when appends stop")
    func bulkTimer() async throws {
        let fixture = try await LogFixture.make(checkpoints: [1], tail: 0)
        var configuration = fixture.configuration
        configuration.checkpointPolicy = .bulk(entries: 1000, interval: .milliseconds(100))
        let writer = try await fixture.open(configuration: configuration)
        try await writer.append(LogFixture.draft(1))
        var signed = await writer.signedSize
        for _ in 0..<50 where signed < 2 {
            try await Task.sleep(for: .milliseconds(50))
            signed = await writer.signedSize
        }
        #expect(signed == 2)
        try await writer.close()
    }

    @Test("an intact unsigned tail is signed on open; a stale state file is ignored")
    func unsignedTailOnOpen() async throws {
        let fixture = try await LogFixture.make(checkpoints: [1, 10], tail: 3)
        try fixture.write(fixture.log.state, Array("hsmsync-log-state v1\nsize 10\noffset 5\n".utf8))
        let writer = try await fixture.open()
        let recovery = try #require(await writer.recovery)
        #expect(recovery.truncatedBytes == 0 && recovery.unsignedEntries == 3 && recovery.lastGoodSeq == 12)
        #expect(await writer.signedSize == 13)
        try await writer.close()
        #expect(try fixture.verifyBoth().findings.isEmpty)
    }

    @Test("recovery asks first; declining leaves the log untouched")
    func recoveryDeclined() async throws {
        let fixture = try await LogFixture.make(checkpoints: [1, 10], tail: 2)
        try fixture.setLines(try fixture.lines(), trailer: Array("{\"half".utf8))
        let before = try fixture.entriesBytes()
        var configuration = fixture.configuration
        configuration.confirmRecovery = { report in report.truncatedBytes == 0 }
        await #expect(throws: AuditLogError.recoveryDeclined) {
            _ = try await fixture.open(configuration: configuration)
        }
        #expect(try fixture.entriesBytes() == before)
    }

    @Test("a tail line with a seq or prev mismatch beyond the signed size is cut as torn")
    func tornMismatch() async throws {
        let fixture = try await LogFixture.make(checkpoints: [1, 10], tail: 3)
        var lines = try fixture.lines()
        lines[12] = AdversarialTests.edit(lines[12], "\"seq\":12", "\"seq\":13")
        try fixture.setLines(lines)
        let writer = try await fixture.open()
        let recovery = try #require(await writer.recovery)
        #expect(recovery.lastGoodSeq == 11 && recovery.truncatedBytes == Int64(lines[12].count + 1))
        try await writer.close()
        #expect(try fixture.verifyBoth().findings.isEmpty)
    }

    @Test("a log cut below its signed size refuses writing (TRUNCATION)")
    func truncatedRefused() async throws {
        let fixture = try await LogFixture.make(checkpoints: [1, 10], tail: 0)
        try fixture.setLines(Array(try fixture.lines().prefix(7)))
        await #expect {
            _ = try await fixture.open()
        } throws: { error in
            guard case AuditLogError.damaged(let finding) = error else { return false }
            return finding.class == .truncation
        }
    }

    @Test("a tampered checkpoint note refuses writing")
    func tamperedNoteRefused() async throws {
        let fixture = try await LogFixture.make(checkpoints: [1, 10], tail: 0)
        var note = try fixture.note(size: 10)
        note[note.count - 10] ^= 1
        try fixture.setNote(size: 10, note)
        await #expect {
            _ = try await fixture.open()
        } throws: { error in
            guard case AuditLogError.damaged(let finding) = error else { return false }
            return [.badSignature, .parse].contains(finding.class)
        }
    }

    @Test("an anchor store that saw more than the log holds refuses writing (TRUNCATION_VS_ANCHOR)")
    func anchorStore() async throws {
        let store = MemoryAnchorStore()
        let fixture = try await LogFixture.make(checkpoints: [1], tail: 0)
        var configuration = fixture.configuration
        configuration.anchorStore = store
        let writer = try await fixture.open(configuration: configuration)
        try await writer.append(LogFixture.draft(1))
        try await writer.checkpoint()
        try await writer.close()
        let expectedHead = TreeHead(size: 2, rootHash: RFC6962.mth(try fixture.lines().map(TreeHasher.leafHash)[...]))
        #expect(store.head.withLock { $0 } == expectedHead)
        try FileManager.default.removeItem(atPath: fixture.log.checkpointNote(size: 2))
        try fixture.setLatest(try fixture.note(size: 1))
        try fixture.setLines(Array(try fixture.lines().prefix(1)))
        await #expect {
            _ = try await fixture.open(configuration: configuration)
        } throws: { error in
            guard case AuditLogError.damaged(let finding) = error else { return false }
            return finding.class == .truncationVsAnchor
        }
    }

    @Test("an ECDSA P-256 signer (type 0x02, as an HSM without EdDSA) is a drop-in: the log verifies")
    func ecdsaSigner() async throws {
        let temporary = try TemporaryDirectory(prefix: "auditlog-ecdsa")
        let signer = try ECDSATestSigner(name: "hsm.example/hsmsync/0123")
        let writer = try await AuditLog.create(
            directory: temporary.path("log"), origin: "hsm.example/hsmsync/0123", signer: signer,
            actor: AuditActor(id: "t"))
        try await writer.append(LogFixture.draft(1))
        try await writer.checkpoint()
        try await writer.close()
        let report = try LogVerifier(directory: LogDirectory(path: temporary.path("log"))).verify()
        #expect(report.isValid && report.signedPrefix == 2, "\(report.findings)")
    }

    @Test("a signer whose signatures do not verify is refused before anything is written")
    func badSigner() async throws {
        let temporary = try TemporaryDirectory(prefix: "auditlog-bad")
        let signer = try ECDSATestSigner(name: "hsm.example/x", corrupt: true)
        await #expect(throws: AuditLogError.signatureDoesNotVerify(keyName: "hsm.example/x")) {
            _ = try await AuditLog.create(
                directory: temporary.path("log"), origin: "hsm.example/x", signer: signer, actor: AuditActor(id: "t"))
        }
        #expect(
            !FileManager.default.fileExists(atPath: temporary.path("log") + "/checkpoints/00000000000000000001.note"))
    }

    @Test("a failed write makes the log refuse further writes until reopened")
    func failureIsSticky() async throws {
        let fixture = try await LogFixture.make(checkpoints: [1], tail: 0)
        let writer = try await fixture.open()
        await writer.breakDescriptorForTesting()
        await #expect(throws: LogIOError.self) { try await writer.append(LogFixture.draft(1)) }
        await #expect {
            try await writer.append(LogFixture.draft(1))
        } throws: { error in
            if case AuditLogError.failed = error { return true }
            return false
        }
        try await writer.close()
        let reopened = try await fixture.open()
        try await reopened.append(LogFixture.draft(1))
        try await reopened.close()
    }
}

/// An anchor store in memory.
final class MemoryAnchorStore: CheckpointAnchorStore {
    let head = Mutex<TreeHead?>(nil)
    func load() async throws -> TreeHead? { head.withLock { $0 } }
    func store(_ head: TreeHead) async throws { self.head.withLock { $0 = head } }
}

/// A software stand-in for an HSM signer without EdDSA: ECDSA P-256, signature type 0x02.
final class ECDSATestSigner: AuditSigner {
    let key = P256SigningKeyForTests()
    let verifierKey: VerifierKey
    let corrupt: Bool

    init(name: String, corrupt: Bool = false) throws {
        verifierKey = try VerifierKey.ecdsa(name: name, subjectPublicKeyInfo: key.spki)
        self.corrupt = corrupt
    }

    func sign(_ message: [UInt8]) async throws -> [UInt8] {
        try key.signDER(corrupt ? message + [0] : message)
    }
}

extension AuditLog {
    /// Takes the entries descriptor away from the writer, so its next write fails (EBADF). The
    /// number is not left behind: another test's file could reuse it.
    func breakDescriptorForTesting() {
        let descriptor = entriesFD
        entriesFD = -1
        PosixFile.close(descriptor)
    }
}
