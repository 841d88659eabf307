import Foundation
import HSMSyncModel
import HSMSyncTesting
import SignedLog
import Testing

@testable import HSMSyncCore

/// `log cosign`: consistency from the witness's state, refusing rollbacks and forks.
@Suite("Witness cosigning")
struct WitnessTests {
    @Test("first use pins the vkey and cosigns; later extensions are checked by consistency proof")
    func cosign() async throws {
        let fixture = try await LogFixture.make(checkpoints: [1, 10], tail: 0)
        let witness = try fixture.makeWitness("W1")
        let state = fixture.temporary.path("w1.state")
        let cosigner = WitnessCosigner(directory: fixture.log, statePath: state)
        let first = try cosigner.cosign(with: NotePrivateKey.read(from: witness.path), keyPath: witness.path)
        #expect(first.size == 10 && first.previousSize == 0)
        #expect(
            try LogVerifier.readVerifierKey(at: state + ".vkey") == LogVerifier.readVerifierKey(at: fixture.log.vkey))
        let stateNote = try SignedNote(parsing: PosixFile.readAll(state))
        #expect(try Checkpoint(text: stateNote.text).size == 10)

        let writer = try await fixture.open()
        for index in 10..<17 { try await writer.append(LogFixture.draft(index)) }
        try await writer.checkpoint()
        try await writer.close()
        let second = try cosigner.cosign(with: NotePrivateKey.read(from: witness.path), keyPath: witness.path)
        #expect(second.size == 17 && second.previousSize == 10 && second.timestamp >= first.timestamp)

        let policy = try fixture.writePolicy(witnesses: [("W1", witness.vkey)], quorum: "W1")
        let outcome = try fixture.verifyBoth(policy: policy, anchors: [state])
        #expect(outcome.verdict == "valid" && outcome.anchored == true, "\(outcome)")
        let latest = try SignedNote(parsing: fixture.latest())
        #expect(latest.signatures.count == 2)
    }

    @Test("a rollback, a fork and an inconsistent history are refused; the state is unchanged")
    func refusals() async throws {
        let fixture = try await LogFixture.make(checkpoints: [1, 10, 20], tail: 0)
        let witness = try fixture.makeWitness("W1")
        let state = fixture.temporary.path("w1.state")
        let cosigner = WitnessCosigner(directory: fixture.log, statePath: state)
        _ = try cosigner.cosign(with: NotePrivateKey.read(from: witness.path), keyPath: witness.path)
        let saved = try PosixFile.readAll(state)

        // Rollback: the latest checkpoint is an older one.
        let current = try fixture.latest()
        try fixture.setLatest(try fixture.note(size: 10))
        #expect(throws: WitnessError.rollback(origin: fixture.origin, cosigned: 20, offered: 10)) {
            try cosigner.cosign(with: NotePrivateKey.read(from: witness.path), keyPath: witness.path)
        }
        // Fork: same size, another root, validly signed.
        try fixture.setLatest(
            try fixture.signedNote(
                Checkpoint(origin: fixture.origin, size: 20, rootHash: TreeHasher.leafHash([9])).text))
        #expect(throws: WitnessError.self) {
            try cosigner.cosign(with: NotePrivateKey.read(from: witness.path), keyPath: witness.path)
        }
        // Inconsistent: a rewritten history, re-signed by the log key, at a larger size.
        try fixture.setLatest(current)
        var lines = try fixture.lines()
        lines[5] = AdversarialTests.edit(lines[5], "\"k5\"", "\"k55\"")
        lines.append(lines[19])
        try fixture.setLines(lines)
        try fixture.setLatest(try fixture.signedNote(try fixture.checkpointText(size: 21)))
        #expect {
            try cosigner.cosign(with: NotePrivateKey.read(from: witness.path), keyPath: witness.path)
        } throws: { error in
            if case WitnessError.inconsistent = error { return true }
            return false
        }
        #expect(try PosixFile.readAll(state) == saved)
    }

    @Test("a log key other than the pinned one is refused; a log key is not a witness key")
    func keys() async throws {
        let fixture = try await LogFixture.make(checkpoints: [1], tail: 0)
        let witness = try fixture.makeWitness("W1")
        let state = fixture.temporary.path("w1.state")
        _ = try WitnessCosigner(directory: fixture.log, statePath: state)
            .cosign(with: NotePrivateKey.read(from: witness.path), keyPath: witness.path)
        let other = try NotePrivateKey.generate(name: fixture.origin).verifierKey
        #expect(throws: WitnessError.self) {
            try WitnessCosigner(directory: fixture.log, statePath: state, logKey: other)
                .cosign(with: NotePrivateKey.read(from: witness.path), keyPath: witness.path)
        }
        #expect(throws: WitnessError.notAWitnessKey(path: fixture.keyPath)) {
            try WitnessCosigner(directory: fixture.log, statePath: fixture.temporary.path("x.state"))
                .cosign(with: NotePrivateKey.read(from: fixture.keyPath), keyPath: fixture.keyPath)
        }
    }
}
