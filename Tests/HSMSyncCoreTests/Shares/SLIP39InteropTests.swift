import HSMSyncCore
import HSMSyncModel
import PKCS11
import SLIP39
import SecureMemory
import SignedLog
import Testing

/// Interoperability with the SLIP-0039 reference implementation (PyPI `shamir-mnemonic`), both
/// ways: our shares combine in the reference, the reference's shares combine in ours, and given the
/// same random bytes both produce the very same mnemonics.
@Suite("SLIP-0039 interoperability with the reference implementation", .disabled(if: ReferenceOracle.isSkipped))
struct SLIP39InteropTests {
    @Test("the word list is the reference's")
    func wordList() throws {
        let reference = try ReferenceOracle.wordList()
        #expect(reference.count == 1024)
        #expect((0..<MnemonicWordList.count).map(MnemonicWordList.word(at:)) == reference)
    }

    @Test(
        "our shares of a 256-bit key combine in the reference, for every threshold-sized subset",
        arguments: [(2, 3), (3, 5), (2, 2), (1, 1)])
    func ourSharesCombineInReference(threshold: Int, count: Int) throws {
        let key = testKey(7)
        let shares = try ShareSplitter.split(
            masterSecret: key, threshold: threshold, count: count, random: SystemRandomSource())
        let mnemonics = shares.map { $0.mnemonic().text }
        for subset in combinations(of: mnemonics.indices, size: threshold) {
            let result = try ReferenceOracle.combine(subset.map { mnemonics[$0] })
            #expect(try result.get() == key.hex, "subset \(subset)")
        }
    }

    @Test("our shares with a passphrase, non-extendable, iteration exponent 2, combine in the reference")
    func ourOptionsCombineInReference() throws {
        let key = testKey(9)
        let shares = try ShareSplitter.split(
            masterSecret: key, groupThreshold: 1, groups: [.init(threshold: 3, count: 4)],
            passphrase: SecretBytes(text: "correct horse"),
            options: .init(iterationExponent: 2, isExtendable: false), random: SystemRandomSource())[0]
        let mnemonics = shares.map { $0.mnemonic().text }
        #expect(try ReferenceOracle.combine(Array(mnemonics[1...3]), passphrase: "correct horse").get() == key.hex)
        // The passphrase is part of the secret: without it the reference recovers something else.
        #expect(try ReferenceOracle.combine(Array(mnemonics[1...3])).get() != key.hex)
    }

    @Test("our multi-group shares combine in the reference")
    func ourGroupsCombineInReference() throws {
        let secret = SecretBytes(hex: "00112233445566778899aabbccddeeff")
        let groups = try ShareSplitter.split(
            masterSecret: secret, groupThreshold: 2,
            groups: [.init(threshold: 1, count: 1), .init(threshold: 2, count: 3), .init(threshold: 3, count: 5)],
            passphrase: SecretBytes(text: "TREZOR"), random: SystemRandomSource())
        let mnemonics = groups.map { $0.map { $0.mnemonic().text } }
        let chosen = [mnemonics[0][0], mnemonics[2][4], mnemonics[2][0], mnemonics[2][2]]
        #expect(try ReferenceOracle.combine(chosen, passphrase: "TREZOR").get() == secret.hex)
    }

    @Test("the reference's shares combine in ours", arguments: [(2, 3), (3, 5), (5, 16)])
    func referenceSharesCombineInOurs(threshold: Int, count: Int) throws {
        let key = testKey(11)
        let reference = try ReferenceOracle.split(
            secret: key.hex, groupThreshold: 1, groups: [(threshold, count)])
        let mnemonics = reference.groups[0]
        #expect(mnemonics.count == count)
        #expect(try recover(Array(mnemonics.suffix(threshold))).hex == key.hex)
        // All of them at once: every share is cross-checked and agrees.
        #expect(try recover(mnemonics).hex == key.hex)
    }

    @Test("the reference's multi-group, passphrase-protected shares combine in ours")
    func referenceGroupsCombineInOurs() throws {
        let key = testKey(12)
        let reference = try ReferenceOracle.split(
            secret: key.hex, groupThreshold: 2, groups: [(2, 3), (1, 1), (3, 4)], passphrase: "TREZOR",
            extendable: false, iterationExponent: 0)
        let groups = reference.groups
        let chosen = [groups[2][3], groups[0][1], groups[2][0], groups[0][2], groups[2][1]]
        #expect(try recover(chosen, passphrase: "TREZOR").hex == key.hex)
        // Extra groups are cross-checked too.
        #expect(try recover(chosen + [groups[1][0]], passphrase: "TREZOR").hex == key.hex)
    }

    @Test("given the same random bytes, ours and the reference produce identical mnemonics")
    func identicalOutput() throws {
        let stream = DeterministicRandomSource.stream(seed: 2024, count: 4096)
        let key = testKey(13)
        let source = DeterministicRandomSource(seed: 2024)
        let ours = try ShareSplitter.split(
            masterSecret: key, groupThreshold: 2,
            groups: [.init(threshold: 3, count: 5), .init(threshold: 2, count: 2), .init(threshold: 1, count: 1)],
            passphrase: SecretBytes(text: "TREZOR"), random: source)
        let reference = try ReferenceOracle.split(
            secret: key.hex, groupThreshold: 2, groups: [(3, 5), (2, 2), (1, 1)], passphrase: "TREZOR", random: stream)
        #expect(ours.map { $0.map { $0.mnemonic().text } } == reference.groups)
        #expect(source.drawn.count == reference.randomUsed)

        let single = try ShareSplitter.split(
            masterSecret: key, threshold: 3, count: 5, random: DeterministicRandomSource(seed: 2024))
        let referenceSingle = try ReferenceOracle.split(
            secret: key.hex, groupThreshold: 1, groups: [(3, 5)], random: stream)
        #expect(single.map { $0.mnemonic().text } == referenceSingle.groups[0])
    }

    @Test("a share the reference rejects, ours rejects too", arguments: ["checksum", "digest", "foreign"])
    func rejectionsAgree(defect: String) throws {
        let key = testKey(14)
        let mnemonics = try ReferenceOracle.split(secret: key.hex, groupThreshold: 1, groups: [(2, 3)]).groups[0]
        let other = try ReferenceOracle.split(secret: key.hex, groupThreshold: 1, groups: [(2, 3)]).groups[0]
        let bad: [String]
        switch defect {
        case "checksum":
            var words = mnemonics[0].split(separator: " ").map(String.init)
            words[6] = words[6] == "academic" ? "acid" : "academic"
            bad = [words.joined(separator: " "), mnemonics[1]]
        case "digest":
            bad = [mnemonics[0], try tamperedValue(of: mnemonics[1])]
        default:
            bad = [mnemonics[0], other[1]]
        }
        if case .success = try ReferenceOracle.combine(bad) {
            Issue.record("the reference accepted the \(defect) defect")
        }
        #expect(throws: ShareError.self) { _ = try recover(bad) }
    }
}

/// The k-element subsets of `indices`, in lexicographic order.
func combinations(of indices: Range<Int>, size: Int) -> [[Int]] {
    guard size > 0 else { return [[]] }
    guard indices.count >= size else { return [] }
    let first = indices.lowerBound
    let rest = (first + 1)..<indices.upperBound
    return combinations(of: rest, size: size - 1).map { [first] + $0 } + combinations(of: rest, size: size)
}
