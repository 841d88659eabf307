import HSMSyncCore
import HSMSyncModel
import PKCS11
import SLIP39
import SecureMemory
import SignedLog
import Testing

@Suite("Splitting a secret into shares")
struct ShareSplitterTests {
    @Test(
        "every threshold-sized subset recovers the secret, and so do all shares together",
        arguments: [(1, 1), (2, 2), (2, 3), (3, 5), (4, 7)], [16, 32])
    func roundTrip(shape: (threshold: Int, count: Int), secretLength: Int) throws {
        let secret = SecretBytes(copying: (0..<secretLength).map { UInt8($0 * 7 + shape.count) })
        let shares = try ShareSplitter.split(
            masterSecret: secret, threshold: shape.threshold, count: shape.count, random: SystemRandomSource())
        #expect(shares.count == shape.count)
        let mnemonics = shares.map { $0.mnemonic().text }
        for subset in combinations(of: 0..<shape.count, size: shape.threshold) {
            #expect(try recover(subset.map { mnemonics[$0] }).hex == secret.hex, "subset \(subset)")
        }
        #expect(try recover(mnemonics.reversed()).hex == secret.hex)
        if shape.threshold > 1 {
            #expect(throws: ShareError.tooFewShares(group: nil, have: shape.threshold - 1, need: shape.threshold)) {
                _ = try recover(Array(mnemonics.prefix(shape.threshold - 1)))
            }
        }
    }

    @Test("a 256-bit key gives 33-word shares of one set, indexed 0 to N-1")
    func transportKeyShares() throws {
        let shares = try ShareSplitter.split(
            masterSecret: testKey(), threshold: 3, count: 5, random: SystemRandomSource())
        let first = shares[0].metadata
        for (index, share) in shares.enumerated() {
            let metadata = share.metadata
            #expect(metadata.wordCount == 33)
            #expect(share.mnemonic().text.split(separator: " ").count == 33)
            #expect(metadata.identifier == first.identifier)
            #expect(metadata.memberIndex == index && metadata.memberThreshold == 3)
            #expect(metadata.groupThreshold == 1 && metadata.groupCount == 1 && metadata.groupIndex == 0)
            #expect(metadata.isExtendable && metadata.iterationExponent == 1)
            #expect(metadata.valueByteCount == 32)
        }
    }

    @Test("a set split with a passphrase recovers with it, and to something else without it")
    func passphrase() throws {
        let secret = testKey(4)
        let shares = try ShareSplitter.split(
            masterSecret: secret, groupThreshold: 1, groups: [.init(threshold: 2, count: 3)],
            passphrase: SecretBytes(text: "TREZOR"), options: .init(iterationExponent: 0, isExtendable: false),
            random: SystemRandomSource())[0]
        let mnemonics = [shares[2].mnemonic().text, shares[0].mnemonic().text]
        #expect(try recover(mnemonics, passphrase: "TREZOR").hex == secret.hex)
        #expect(try recover(mnemonics).hex != secret.hex)
    }

    @Test("groups: any group-threshold of groups, each with its member threshold")
    func groups() throws {
        let secret = testKey(5)
        let groups = try ShareSplitter.split(
            masterSecret: secret, groupThreshold: 2,
            groups: [.init(threshold: 2, count: 3), .init(threshold: 1, count: 1), .init(threshold: 3, count: 4)],
            passphrase: SecretBytes(zeroedCount: 0), random: SystemRandomSource())
        let m = groups.map { $0.map { $0.mnemonic().text } }
        #expect(try recover([m[0][0], m[0][2], m[1][0]]).hex == secret.hex)
        #expect(try recover([m[2][3], m[1][0], m[2][1], m[2][0]]).hex == secret.hex)
        #expect(try recover(m[0] + m[1] + m[2]).hex == secret.hex)
        #expect(throws: ShareError.tooFewGroups(have: 1, need: 2)) { _ = try recover([m[0][0], m[0][1]]) }
        #expect(throws: ShareError.tooFewShares(group: 3, have: 1, need: 3)) {
            _ = try recover([m[0][0], m[0][1], m[2][0]])
        }
        var recovery = ShareRecovery()
        for mnemonic in [m[0][0], m[2][1]] {
            try recovery.add(SecretBytes(text: mnemonic))
        }
        #expect(
            recovery.progress.description == "group 1: 1 of 2 shares; group 3: 1 of 3 shares; 2 of 3 groups needed")
    }

    @Test("the same random bytes give the same shares")
    func deterministic() throws {
        let first = try ShareSplitter.split(
            masterSecret: testKey(), threshold: 2, count: 4, random: DeterministicRandomSource(seed: 99))
        let second = try ShareSplitter.split(
            masterSecret: testKey(), threshold: 2, count: 4, random: DeterministicRandomSource(seed: 99))
        #expect(first.map { $0.mnemonic().text } == second.map { $0.mnemonic().text })
    }

    @Test("a noncopyable random source, like an HSM session, can be used")
    func noncopyableSource() throws {
        struct Session: ~Copyable, RandomByteSource {
            func randomBytes(count: Int) throws -> SecretBytes { SystemRandomSource().randomBytes(count: count) }
        }
        let session = Session()
        let shares = try ShareSplitter.split(masterSecret: testKey(), threshold: 2, count: 2, random: session)
        #expect(try recover(shares.map { $0.mnemonic().text }).hex == testKey().hex)
    }

    @Test("a failing random source stops the split with its own error")
    func failingSource() {
        struct Unplugged: Error, Equatable {}
        struct Failing: RandomByteSource {
            func randomBytes(count: Int) throws -> SecretBytes { throw Unplugged() }
        }
        struct Short: RandomByteSource {
            func randomBytes(count: Int) -> SecretBytes { SecretBytes(zeroedCount: count - 1) }
        }
        #expect(throws: Unplugged()) {
            _ = try ShareSplitter.split(masterSecret: testKey(), threshold: 2, count: 3, random: Failing())
        }
        #expect(throws: ShareSplitError.shortRandomOutput(requested: 2, received: 1)) {
            _ = try ShareSplitter.split(masterSecret: testKey(), threshold: 2, count: 3, random: Short())
        }
    }

    @Test(
        "bad parameters are refused",
        arguments: [
            (15, 2, 3, ShareSplitError.invalidSecretLength(bytes: 15)),
            (17, 2, 3, .invalidSecretLength(bytes: 17)),
            (32, 0, 3, .invalidThreshold(threshold: 0, count: 3)),
            (32, 4, 3, .invalidThreshold(threshold: 4, count: 3)),
            (32, 2, 17, .invalidThreshold(threshold: 2, count: 17)),
            (32, 1, 3, .multipleSharesWithThresholdOne(count: 3)),
        ])
    func badParameters(secretLength: Int, threshold: Int, count: Int, expected: ShareSplitError) {
        let secret = SecretBytes(zeroedCount: secretLength)
        #expect(throws: expected) {
            _ = try ShareSplitter.split(
                masterSecret: secret, threshold: threshold, count: count, random: SystemRandomSource())
        }
    }

    @Test("bad options are refused")
    func badOptions() {
        #expect(throws: ShareSplitError.invalidIterationExponent(16)) {
            _ = try ShareSplitter.split(
                masterSecret: testKey(), threshold: 2, count: 3, options: .init(iterationExponent: 16),
                random: SystemRandomSource())
        }
        #expect(throws: ShareSplitError.passphraseNotPrintableASCII) {
            _ = try ShareSplitter.split(
                masterSecret: testKey(), groupThreshold: 1, groups: [.init(threshold: 2, count: 3)],
                passphrase: SecretBytes(text: "pässword"), random: SystemRandomSource())
        }
        #expect(throws: ShareSplitError.noGroups) {
            _ = try ShareSplitter.split(
                masterSecret: testKey(), groupThreshold: 1, groups: [], passphrase: SecretBytes(zeroedCount: 0),
                random: SystemRandomSource())
        }
        #expect(throws: ShareSplitError.invalidThreshold(threshold: 3, count: 2)) {
            _ = try ShareSplitter.split(
                masterSecret: testKey(), groupThreshold: 3,
                groups: [.init(threshold: 1, count: 1), .init(threshold: 1, count: 1)],
                passphrase: SecretBytes(zeroedCount: 0), random: SystemRandomSource())
        }
    }
}
