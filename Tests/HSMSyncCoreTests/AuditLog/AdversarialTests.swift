import Foundation
import HSMSyncModel
import HSMSyncTesting
import SignedLog
import Testing

@testable import HSMSyncCore

/// The adversarial cases T1–T20 of AUDIT-LOG.md §9, each asserting the class and the first bad
/// index, and that the independent Python verifier agrees on both and on every finding
/// (T21 is in SignedNoteTests and MerkleKnownAnswerTests; T22 is the crash test; T23 needs Go).
/// The fixture has checkpoints at 1, 10, 20, 30 and entries 30–34 unsigned.
@Suite("Adversarial cases T1–T20")
struct AdversarialTests {
    /// Replaces the first occurrence of `old` in `line` by `new`.
    static func edit(_ line: [UInt8], _ old: String, _ new: String) -> [UInt8] {
        let text = String(decoding: line, as: UTF8.self)
        precondition(text.contains(old), "\(old) not in \(text)")
        return Array(text.replacingFirst(old, with: new).utf8)
    }

    @Test("clean log: valid, not anchored, unsigned tail is a warning")
    func clean() async throws {
        let fixture = try await LogFixture.make()
        let outcome = try fixture.verifyBoth()
        #expect(outcome.verdict == "valid" && outcome.entries == 35 && outcome.signedPrefix == 30)
        #expect(outcome.findings == [VerificationOutcome.key("UNSIGNED_TAIL", "warning", 30, nil, nil)])
        #expect(outcome.anchored == false)
    }

    @Test("T1: a byte flipped in a signed entry: CHAIN_BREAK at i+1 blaming i, ROOT_MISMATCH at covering checkpoints")
    func t1() async throws {
        let fixture = try await LogFixture.make()
        var lines = try fixture.lines()
        lines[12] = Self.edit(lines[12], "\"k12\"", "\"k92\"")
        try fixture.setLines(lines)
        let outcome = try fixture.verifyBoth()
        #expect(outcome.class == "CHAIN_BREAK" && outcome.firstBadIndex == 12, "\(outcome)")
        #expect(outcome.findings.contains(VerificationOutcome.key("CHAIN_BREAK", "error", 13, 12, nil)))
        #expect(
            outcome.has("ROOT_MISMATCH", index: 10, checkpoint: 20)
                && outcome.has("ROOT_MISMATCH", index: 10, checkpoint: 30))
        #expect(!outcome.has("ROOT_MISMATCH", checkpoint: 10))
    }

    @Test("T1 variant: a flip inside prev blames the entry itself; a flip that breaks the JSON is PARSE")
    func t1Variants() async throws {
        let fixture = try await LogFixture.make()
        let clean = try fixture.lines()
        var lines = clean
        let text = String(decoding: lines[12], as: UTF8.self)
        let prevStart = text.range(of: "\"prev\":\"")!.upperBound
        var chars = Array(text)
        let position = text.distance(from: text.startIndex, to: prevStart) + 5
        chars[position] = chars[position] == "a" ? "b" : "a"
        lines[12] = Array(String(chars).utf8)
        try fixture.setLines(lines)
        var outcome = try fixture.verifyBoth()
        #expect(outcome.class == "CHAIN_BREAK" && outcome.firstBadIndex == 12, "\(outcome)")
        #expect(outcome.findings.contains(VerificationOutcome.key("CHAIN_BREAK", "error", 12, 12, nil)))
        #expect(outcome.findings.contains(VerificationOutcome.key("CHAIN_BREAK", "error", 13, 12, nil)))

        lines = clean
        lines[12] = Self.edit(lines[12], "\"seq\":12", "\"seq\":12\"")
        try fixture.setLines(lines)
        outcome = try fixture.verifyBoth()
        #expect(outcome.class == "PARSE" && outcome.firstBadIndex == 12, "\(outcome)")
    }

    @Test("T2: a byte flipped in the last unsigned entry: only UNSIGNED_TAIL (an error under --strict)")
    func t2() async throws {
        let fixture = try await LogFixture.make()
        var lines = try fixture.lines()
        lines[34] = Self.edit(lines[34], "\"k34\"", "\"k99\"")
        try fixture.setLines(lines)
        let outcome = try fixture.verifyBoth()
        #expect(outcome.verdict == "valid")
        #expect(outcome.findings == [VerificationOutcome.key("UNSIGNED_TAIL", "warning", 30, nil, nil)])
        let strict = try fixture.verifyBoth(strict: true)
        #expect(strict.class == "UNSIGNED_TAIL" && strict.firstBadIndex == 30, "\(strict)")
    }

    @Test("T3: a middle entry deleted: SEQ_GAP, CHAIN_BREAK, ROOT_MISMATCH")
    func t3() async throws {
        let fixture = try await LogFixture.make()
        var lines = try fixture.lines()
        lines.remove(at: 15)
        try fixture.setLines(lines)
        let outcome = try fixture.verifyBoth()
        #expect(outcome.class == "SEQ_GAP" && outcome.firstBadIndex == 15, "\(outcome)")
        #expect(outcome.has("CHAIN_BREAK", index: 15) && outcome.has("ROOT_MISMATCH", checkpoint: 20))
        #expect(outcome.findings.filter { $0.hasPrefix("SEQ_") }.count == 1)
    }

    @Test("T4: two adjacent entries swapped: SEQ_ORDER, CHAIN_BREAK, ROOT_MISMATCH")
    func t4() async throws {
        let fixture = try await LogFixture.make()
        var lines = try fixture.lines()
        lines.swapAt(15, 16)
        try fixture.setLines(lines)
        let outcome = try fixture.verifyBoth()
        #expect(outcome.class == "SEQ_ORDER" && outcome.firstBadIndex == 15, "\(outcome)")
        #expect(
            outcome.has("SEQ_ORDER", index: 16) && outcome.has("CHAIN_BREAK", index: 15)
                && outcome.has("CHAIN_BREAK", index: 17))
        #expect(outcome.has("ROOT_MISMATCH", checkpoint: 20))
    }

    @Test("T5: a forged entry inserted, the rest renumbered and re-chained: ROOT_MISMATCH at every later checkpoint")
    func t5() async throws {
        let fixture = try await LogFixture.make()
        var lines = try fixture.lines()
        let forged = EntryEncoder.line(
            for: AuditEntryDraft(action: "key.delete", actor: AuditActor(id: "mallory")), origin: fixture.origin,
            seq: 15,
            prev: TreeHasher.leafHash(lines[14]), time: EntryTime(seconds: 1_777_896_015, nanoseconds: 0))
        lines.insert(forged, at: 15)
        var prev = TreeHasher.leafHash(forged)
        for index in 16..<lines.count {
            var entry = try AuditEntry(line: lines[index]).fields
            entry["seq"] = .integer(Int64(index))
            entry["prev"] = .string(prev.hex)
            lines[index] = CanonicalJSON.encode(.object(entry))
            prev = TreeHasher.leafHash(lines[index])
        }
        try fixture.setLines(lines)
        let outcome = try fixture.verifyBoth()
        #expect(outcome.class == "ROOT_MISMATCH" && outcome.firstBadIndex == 10, "\(outcome)")
        #expect(
            outcome.findings.sorted()
                == [
                    VerificationOutcome.key("ROOT_MISMATCH", "error", 10, nil, 20),
                    VerificationOutcome.key("ROOT_MISMATCH", "error", 10, nil, 30),
                    VerificationOutcome.key("UNSIGNED_TAIL", "warning", 30, nil, nil),
                ].sorted())
    }

    @Test("T6: truncated below the last checkpoint: TRUNCATION")
    func t6() async throws {
        let fixture = try await LogFixture.make()
        try fixture.setLines(Array(try fixture.lines().prefix(25)))
        let outcome = try fixture.verifyBoth()
        #expect(outcome.class == "TRUNCATION" && outcome.firstBadIndex == 25, "\(outcome)")
        #expect(outcome.has("TRUNCATION", index: 25, checkpoint: 30))
    }

    @Test("T7: truncated with its checkpoints deleted: passes, anchored: no; with an anchor: TRUNCATION_VS_ANCHOR")
    func t7() async throws {
        let fixture = try await LogFixture.make()
        let anchor = fixture.temporary.path("auditor-copy.note")
        try fixture.write(anchor, try fixture.note(size: 30))
        try fixture.setLines(Array(try fixture.lines().prefix(25)))
        try FileManager.default.removeItem(atPath: fixture.log.checkpointNote(size: 30))
        try fixture.setLatest(try fixture.note(size: 20))
        let unanchored = try fixture.verifyBoth()
        #expect(unanchored.verdict == "valid" && unanchored.anchored == false, "\(unanchored)")
        let anchored = try fixture.verifyBoth(anchors: [anchor])
        #expect(anchored.class == "TRUNCATION_VS_ANCHOR" && anchored.firstBadIndex == 25, "\(anchored)")
    }

    @Test("T7: an intact log with its latest checkpoint as anchor is anchored: yes")
    func anchoredYes() async throws {
        let fixture = try await LogFixture.make(tail: 0)
        let anchor = fixture.temporary.path("auditor-copy.note")
        try fixture.write(anchor, try fixture.note(size: 30))
        let outcome = try fixture.verifyBoth(anchors: [anchor])
        #expect(outcome.verdict == "valid" && outcome.anchored == true && outcome.findings.isEmpty, "\(outcome)")
    }

    @Test("T8: a torn half line and a 4 KiB NUL tail: TORN_TAIL; recovery cuts, saves, logs, then clean")
    func t8() async throws {
        for trailer in [Array(#"{"action":"key.sync","actor":{"id":"s"#.utf8), [UInt8](repeating: 0, count: 4096)] {
            let fixture = try await LogFixture.make()
            let lines = try fixture.lines()
            try fixture.setLines(lines, trailer: trailer)
            let torn = try fixture.verifyBoth()
            #expect(torn.class == "TORN_TAIL" && torn.firstBadIndex == 35, "\(torn)")

            let writer = try await fixture.open()
            let recovery = try #require(await writer.recovery)
            #expect(recovery.truncatedBytes == Int64(trailer.count) && recovery.lastGoodSeq == 34)
            #expect(recovery.unsignedEntries == 5)
            let saved = try PosixFile.readAll(fixture.path + "/" + recovery.savedTo!)
            #expect(saved == trailer)
            let size = await writer.size
            let signedSize = await writer.signedSize
            #expect(size == 36 && signedSize == 36)
            try await writer.close()
            let recovered = try AuditEntry(line: try #require(try fixture.lines().last))
            #expect(recovered.action == "log.recovered" && recovered.seq == 35)
            #expect(recovered.outputs["truncated_bytes"] == .integer(Int64(trailer.count)))
            #expect(recovered.outputs["last_good_seq"] == 34)
            #expect(recovered.outputs["sha256"] == .string(AuditDigest.sha256(of: trailer).description))
            let clean = try fixture.verifyBoth()
            #expect(clean.verdict == "valid" && clean.findings.isEmpty, "\(clean)")
        }
    }

    @Test("T9: garbage inside the signed prefix: PARSE at the exact line; the writer refuses")
    func t9() async throws {
        let fixture = try await LogFixture.make()
        var lines = try fixture.lines()
        let length = lines[5].count
        lines[5] = Array(repeating: UInt8(ascii: "#"), count: length)
        try fixture.setLines(lines)
        let outcome = try fixture.verifyBoth()
        #expect(outcome.class == "PARSE" && outcome.firstBadIndex == 5, "\(outcome)")
        #expect(outcome.has("ROOT_MISMATCH", index: 1, checkpoint: 10))
        // Without a usable state file (as after a crash), opening re-hashes and refuses.
        try FileManager.default.removeItem(atPath: fixture.log.state)
        await #expect {
            _ = try await fixture.open()
        } throws: { error in
            guard case AuditLogError.damaged(let finding) = error else { return false }
            return finding.class == .parse && finding.index == 5
        }
        #expect(try fixture.lines()[5] == lines[5])  // nothing was written
    }

    @Test("T9: NUL bytes inside the signed prefix, as a file system may leave them: ROOT_MISMATCH or PARSE")
    func t9NULs() async throws {
        let fixture = try await LogFixture.make()
        var bytes = try fixture.entriesBytes()
        let lines = try fixture.lines()
        let start = lines[0..<7].reduce(0) { $0 + $1.count + 1 }
        for index in start..<(start + 4096) where index < bytes.count { bytes[index] = 0 }
        try fixture.write(fixture.log.entries, bytes)
        let outcome = try fixture.verifyBoth()
        #expect(outcome.class == "PARSE" && outcome.firstBadIndex == 7, "\(outcome)")
    }

    @Test("T10: a checkpoint re-signed by another key under the same name: NO_VALID_LOG_SIGNATURE")
    func t10() async throws {
        let fixture = try await LogFixture.make()
        let impostor = try NotePrivateKey.generate(name: fixture.origin)
        let text = try fixture.checkpointText(size: 20)
        let note = SignedNote(text: text, signatures: [try impostor.noteSignature(over: Array(text.utf8), now: 0)])
        try fixture.setNote(size: 20, Array(note.serialized.utf8))
        let outcome = try fixture.verifyBoth()
        #expect(outcome.class == "NO_VALID_LOG_SIGNATURE" && outcome.firstBadIndex == nil, "\(outcome)")
        #expect(outcome.has("NO_VALID_LOG_SIGNATURE", checkpoint: 20))
    }

    @Test("T11: size or root changed under a kept signature, or a flipped signature bit: BAD_SIGNATURE")
    func t11() async throws {
        let fixture = try await LogFixture.make()
        let original = try fixture.note(size: 20)
        let text = String(decoding: original, as: UTF8.self)
        let note = try SignedNote(parsing: original)
        let root = try Checkpoint(text: note.text).rootHash.base64
        var flippedSignature = note
        var bytes = flippedSignature.signatures[0].signature
        bytes[10] ^= 0x01
        flippedSignature.signatures[0] = NoteSignature(
            keyName: note.signatures[0].keyName, keyID: note.signatures[0].keyID, signature: bytes)
        for tampered in [
            text.replacingFirst("\n20\n", with: "\n21\n"),
            text.replacingFirst(root, with: TreeHasher.emptyRoot.base64),
            flippedSignature.serialized,
        ] {
            try fixture.setNote(size: 20, Array(tampered.utf8))
            let outcome = try fixture.verifyBoth()
            #expect(outcome.class == "BAD_SIGNATURE" && outcome.firstBadIndex == nil, "\(outcome)")
            #expect(outcome.has("BAD_SIGNATURE", checkpoint: tampered.contains("\n21\n") ? 21 : 20))
        }
    }

    @Test("T12: a second validly signed checkpoint of the same size with another root: FORK")
    func t12() async throws {
        let fixture = try await LogFixture.make()
        let fork = try fixture.signedNote(
            Checkpoint(origin: fixture.origin, size: 30, rootHash: TreeHasher.leafHash([1, 2, 3])).text)
        try fixture.setLatest(fork)
        let outcome = try fixture.verifyBoth()
        #expect(outcome.class == "FORK" && outcome.firstBadIndex == nil, "\(outcome)")
        #expect(outcome.has("FORK", checkpoint: 30) && !outcome.has("ROOT_MISMATCH"))
        let report = try LogVerifier(directory: fixture.log).verify()
        let finding = try #require(report.findings.first { $0.class == .fork })
        #expect(finding.notes.count == 2 && finding.notes.contains(String(decoding: fork, as: UTF8.self)))
    }

    @Test(
        "T13: the key holder rewrites history and re-signs: QUORUM_NOT_MET with a policy, FORK_VS_ANCHOR with an anchor"
    )
    func t13() async throws {
        let original = try await LogFixture.make(tail: 0)
        let w1 = try original.makeWitness("W1")
        try original.cosign(size: 30, keyPath: w1.path, timestamp: 1_777_900_000)
        let anchor = original.temporary.path("witness-state.note")
        try original.write(anchor, try original.latest())
        let policy = try original.writePolicy(witnesses: [("W1", w1.vkey)], quorum: "W1")
        #expect(try original.verifyBoth(policy: policy).verdict == "valid")

        let rewritten = try await LogFixture.make(tail: 0, keyPath: original.keyPath, variant: 5)
        let withPolicy = try rewritten.verifyBoth(policy: policy)
        #expect(withPolicy.class == "QUORUM_NOT_MET" && withPolicy.firstBadIndex == nil, "\(withPolicy)")
        let withAnchor = try rewritten.verifyBoth(anchors: [anchor])
        #expect(withAnchor.class == "FORK_VS_ANCHOR", "\(withAnchor)")
        #expect(withAnchor.has("FORK_VS_ANCHOR", checkpoint: 30))
    }

    @Test("T14: a copy of an earlier entry appended: SEQ_ORDER and CHAIN_BREAK")
    func t14() async throws {
        let fixture = try await LogFixture.make()
        var lines = try fixture.lines()
        lines.append(lines[7])
        try fixture.setLines(lines)
        let outcome = try fixture.verifyBoth()
        #expect(outcome.class == "SEQ_ORDER" && outcome.firstBadIndex == 35, "\(outcome)")
        #expect(outcome.findings.contains(VerificationOutcome.key("CHAIN_BREAK", "error", 35, 35, nil)))
    }

    @Test("T15: an entry or a checkpoint spliced from another log: FOREIGN_LOG; unknown key or ORIGIN_MISMATCH")
    func t15() async throws {
        let fixture = try await LogFixture.make()
        let other = try await LogFixture.make(origin: "other.example/hsmsync/ffeeddccbbaa99887766554433221100")
        var lines = try fixture.lines()
        lines[12] = try other.lines()[12]
        try fixture.setLines(lines)
        let entry = try fixture.verifyBoth()
        #expect(entry.class == "FOREIGN_LOG" && entry.firstBadIndex == 12, "\(entry)")

        let spliced = try await LogFixture.make()
        try spliced.setNote(size: 20, try other.note(size: 20))
        let unknownKey = try spliced.verifyBoth()
        #expect(
            unknownKey.class == "NO_VALID_LOG_SIGNATURE" && unknownKey.has("NO_VALID_LOG_SIGNATURE", checkpoint: 20))

        let renamed = try await LogFixture.make()
        try renamed.setNote(
            size: 20, try renamed.signedNote(try renamed.checkpointText(size: 20, origin: "other.example/x")))
        let origin = try renamed.verifyBoth()
        #expect(origin.class == "ORIGIN_MISMATCH" && origin.has("ORIGIN_MISMATCH", checkpoint: 20), "\(origin)")
    }

    @Test("T16: a cosignature stripped, corrupted, or added by an unknown witness")
    func t16() async throws {
        let fixture = try await LogFixture.make(tail: 0)
        let w1 = try fixture.makeWitness("W1"), w2 = try fixture.makeWitness("W2"),
            stranger = try fixture.makeWitness("X")
        let policy = try fixture.writePolicy(
            witnesses: [("W1", w1.vkey), ("W2", w2.vkey)], groups: ["group both all W1 W2"], quorum: "both")
        try fixture.cosign(size: 30, keyPath: w1.path, timestamp: 1_777_900_000)
        try fixture.cosign(size: 30, keyPath: w2.path, timestamp: 1_777_900_001)
        let cosigned = try fixture.latest()
        #expect(try fixture.verifyBoth(policy: policy).verdict == "valid")

        var note = try SignedNote(parsing: cosigned)
        note.signatures.removeLast()
        try fixture.setLatest(Array(note.serialized.utf8))
        try fixture.setNote(size: 30, Array(note.serialized.utf8))
        let stripped = try fixture.verifyBoth(policy: policy)
        #expect(stripped.class == "QUORUM_NOT_MET" && stripped.has("QUORUM_NOT_MET", checkpoint: 30), "\(stripped)")

        note = try SignedNote(parsing: cosigned)
        var blob = note.signatures[2].signature
        blob[20] ^= 0x80
        note.signatures[2] = NoteSignature(
            keyName: note.signatures[2].keyName, keyID: note.signatures[2].keyID, signature: blob)
        try fixture.setLatest(Array(note.serialized.utf8))
        try fixture.setNote(size: 30, Array(note.serialized.utf8))
        let corrupted = try fixture.verifyBoth(policy: policy)
        #expect(corrupted.class == "BAD_COSIGNATURE" && corrupted.has("QUORUM_NOT_MET", checkpoint: 30), "\(corrupted)")

        try fixture.setLatest(cosigned)
        try fixture.setNote(size: 30, cosigned)
        try fixture.cosign(size: 30, keyPath: stranger.path, timestamp: 1_777_900_002)
        let unknown = try fixture.verifyBoth(policy: policy)
        #expect(unknown.verdict == "valid", "\(unknown)")
        let report = try LogVerifier(
            directory: fixture.log,
            options: VerificationOptions(policy: WitnessPolicy(parsing: PosixFile.readAll(policy)))
        ).verify()
        #expect(report.ignoredCosignatures == 1 && report.checkpoints.last?.cosigners.count == 2)
    }

    @Test("T17: a valid cosignature moved from checkpoint 20 to 30: BAD_COSIGNATURE")
    func t17() async throws {
        let fixture = try await LogFixture.make(tail: 0)
        let w1 = try fixture.makeWitness("W1")
        let policy = try fixture.writePolicy(witnesses: [("W1", w1.vkey)], quorum: "W1")
        try fixture.cosign(size: 20, keyPath: w1.path, timestamp: 1_777_900_000)
        let line = try #require(try SignedNote(parsing: fixture.note(size: 20)).signatures.last)
        for path in [fixture.log.checkpointNote(size: 30), fixture.log.latestCheckpoint] {
            var note = try SignedNote(parsing: PosixFile.readAll(path))
            note.signatures.append(line)
            try fixture.write(path, Array(note.serialized.utf8))
        }
        let outcome = try fixture.verifyBoth(policy: policy)
        #expect(outcome.class == "BAD_COSIGNATURE" && outcome.has("BAD_COSIGNATURE", checkpoint: 30), "\(outcome)")
    }

    @Test("T18: a wrong vkey, a key ID mismatch, another log's vkey: BAD_VKEY; '+' in the base64 parses")
    func t18() async throws {
        let fixture = try await LogFixture.make()
        let witness = try fixture.makeWitness("W1")
        let witnessVkey = fixture.temporary.path("witness.vkey")
        try fixture.write(witnessVkey, Array(witness.vkey.description.utf8))
        #expect(try fixture.verifyBoth(vkey: witnessVkey).class == "BAD_VKEY")

        let vkey = try String(decoding: PosixFile.readAll(fixture.log.vkey), as: UTF8.self)
        let parts = vkey.split(separator: "+", maxSplits: 2)
        let mismatch = fixture.temporary.path("mismatch.vkey")
        try fixture.write(mismatch, Array("\(parts[0])+ffffffff+\(parts[2])".utf8))
        #expect(try fixture.verifyBoth(vkey: mismatch).class == "BAD_VKEY")

        let other = try NotePrivateKey.generate(name: "other.example/hsmsync/0").verifierKey
        let otherPath = fixture.temporary.path("other.vkey")
        try fixture.write(otherPath, Array(other.description.utf8))
        #expect(try fixture.verifyBoth(vkey: otherPath).class == "BAD_VKEY")

        // A log whose key's base64 holds '+': find one, build a log with it, verify.
        var keyWithPlus: String?
        let temporary = try HSMSyncTestingDirectory()
        for attempt in 0..<200 where keyWithPlus == nil {
            let name = LogFixture.defaultOrigin
            let key = try NotePrivateKey.generate(name: name)
            if key.verifierKey.description.split(separator: "+", maxSplits: 2)[2].contains("+") {
                let path = temporary.path("plus-\(attempt).key")
                try key.write(to: path)
                keyWithPlus = path
            }
        }
        let plusKey = try #require(keyWithPlus as String?)
        let plus = try await LogFixture.make(tail: 0, keyPath: plusKey)
        #expect(try plus.verifyBoth(vkey: plus.log.vkey).verdict == "valid")
    }

    @Test("T19: an entry an hour before its predecessor; a witness's time going back; a cosignature in the future")
    func t19() async throws {
        let fixture = try await LogFixture.make(checkpoints: [1, 10, 20], tail: 0)
        let writer = try await fixture.open()
        fixture.clock.advance(-3600)
        try await writer.append(LogFixture.draft(20))
        fixture.clock.advance(3700)
        try await writer.append(LogFixture.draft(21))
        try await writer.checkpoint()
        try await writer.close()
        let lenient = try fixture.verifyBoth()
        #expect(
            lenient.verdict == "valid" && lenient.has("TIME_REGRESSION", index: 20, severity: "warning"), "\(lenient)")
        let strict = try fixture.verifyBoth(strict: true)
        #expect(strict.class == "TIME_REGRESSION" && strict.firstBadIndex == 20, "\(strict)")

        let w1 = try fixture.makeWitness("W1")
        let policy = try fixture.writePolicy(witnesses: [("W1", w1.vkey)], quorum: "W1")
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        try fixture.cosign(size: 20, keyPath: w1.path, timestamp: 1_790_000_000)
        try fixture.cosign(size: 22, keyPath: w1.path, timestamp: 1_789_999_000)
        let regression = try fixture.verifyBoth(policy: policy, now: now)
        #expect(
            regression.class == "COSIG_TIME_REGRESSION" && regression.has("COSIG_TIME_REGRESSION", checkpoint: 22),
            "\(regression)")

        let future = try await LogFixture.make(tail: 0)
        let w2 = try future.makeWitness("W2")
        let futurePolicy = try future.writePolicy(witnesses: [("W2", w2.vkey)], quorum: "W2")
        try future.cosign(size: 30, keyPath: w2.path, timestamp: 1_800_086_400)
        let ahead = try future.verifyBoth(policy: futurePolicy, now: now)
        #expect(ahead.class == "FUTURE_COSIG" && ahead.has("FUTURE_COSIG", checkpoint: 30), "\(ahead)")
    }

    @Test("T20: CRLF, BOM, invalid UTF-8, duplicate key, 17.0 in entries: PARSE at the line")
    func t20Entries() async throws {
        let fixture = try await LogFixture.make()
        let clean = try fixture.lines()
        let cases: [(Int, ([UInt8]) -> [UInt8])] = [
            (8, { $0 + [0x0D] }),
            (0, { [0xEF, 0xBB, 0xBF] + $0 }),
            (
                9,
                { line in
                    var copy = line; copy[copy.count - 10] = 0xFF; return copy
                }
            ),
            (11, { Self.edit($0, "\"result\":\"ok\"", "\"result\":\"ok\",\"result\":\"ok\"") }),
            (17, { Self.edit($0, "\"seq\":17", "\"seq\":17.0") }),
        ]
        for (index, mutate) in cases {
            var lines = clean
            lines[index] = mutate(lines[index])
            try fixture.setLines(lines)
            let outcome = try fixture.verifyBoth()
            #expect(outcome.class == "PARSE" && outcome.firstBadIndex == index, "line \(index): \(outcome)")
        }
    }

    @Test(
        "T20: size 0017, base64 without padding or with a space, '-' for '—', >100 signatures, extensions under --strict"
    )
    func t20Notes() async throws {
        let fixture = try await LogFixture.make(tail: 0)
        let original = String(decoding: try fixture.note(size: 20), as: UTF8.self)
        let note = try SignedNote(parsing: Array(original.utf8))
        let blob = String(note.signatures[0].line.split(separator: " ")[2].dropLast())
        let signatureLine = note.signatures[0].line
        let variants = [
            try String(
                decoding: fixture.signedNote(
                    try fixture.checkpointText(size: 20).replacingFirst("\n20\n", with: "\n0020\n")), as: UTF8.self),
            original.replacingFirst(blob, with: String(blob.dropLast())),
            original.replacingFirst(blob, with: blob.prefix(10) + " " + blob.dropFirst(10)),
            original.replacingFirst("\u{2014} ", with: "- "),
            note.text + "\n" + String(repeating: signatureLine, count: 101),
        ]
        for variant in variants {
            try fixture.setNote(size: 20, Array(variant.utf8))
            let outcome = try fixture.verifyBoth()
            #expect(outcome.class == "PARSE" && outcome.has("PARSE", checkpoint: 20), "\(outcome)")
        }
        try fixture.setNote(size: 20, Array((note.text + "\n" + String(repeating: signatureLine, count: 100)).utf8))
        #expect(try fixture.verifyBoth().verdict == "valid")

        let extended = try fixture.signedNote(try fixture.checkpointText(size: 20) + "extension line\n")
        try fixture.setNote(size: 20, extended)
        #expect(try fixture.verifyBoth().verdict == "valid")
        let strict = try fixture.verifyBoth(strict: true)
        #expect(strict.class == "PARSE" && strict.has("PARSE", checkpoint: 20), "\(strict)")
    }
}

/// A temporary directory for files that outlive one fixture.
typealias HSMSyncTestingDirectory = HSMSyncTesting.TemporaryDirectory

extension String {
    func replacingFirst(_ old: String, with new: String) -> String {
        guard let range = range(of: old) else { return self }
        return replacingCharacters(in: range, with: new)
    }
}
