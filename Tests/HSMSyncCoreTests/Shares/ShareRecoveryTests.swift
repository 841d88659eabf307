import HSMSyncModel
import PKCS11
import SLIP39
import SecureMemory
import SignedLog
import Testing

@testable import HSMSyncCore

/// SECURITY.md T23 (Shamir abuse) and R9: every bad share or share set is refused with its own
/// error, nothing is recovered, and with more shares than needed the bad one is named.
@Suite("Share recovery refuses bad shares (T23)")
struct ShareRecoveryTests {
    /// A 3-of-5 set of a 256-bit key.
    let key = SecretBox(testKey(3))
    let mnemonics: [String]

    init() throws {
        mnemonics = try ShareSplitter.split(
            masterSecret: key.bytes, threshold: 3, count: 5, random: SystemRandomSource()
        )
        .map { $0.mnemonic().text }
    }

    /// Adds `mnemonics` in order; returns the error of the first refused one, with how many were kept.
    func firstRefusal(_ mnemonics: [String]) -> (error: ShareError?, accepted: Int) {
        var recovery = ShareRecovery()
        for mnemonic in mnemonics {
            do {
                try recovery.add(SecretBytes(text: mnemonic))
            } catch {
                return (error, recovery.acceptedShares.count)
            }
        }
        return (nil, recovery.acceptedShares.count)
    }

    /// The error of recovering from `mnemonics`, all of which must be accepted one by one.
    func recoveryError(_ mnemonics: [String]) throws -> ShareError? {
        var recovery = ShareRecovery()
        for mnemonic in mnemonics {
            try recovery.add(SecretBytes(text: mnemonic))
        }
        do {
            _ = try recovery.recoverMasterSecret()
            return nil
        } catch {
            return error
        }
    }

    /// Whether `message` repeats any two consecutive words of `mnemonics`.
    func echoesWords(_ message: String, _ mnemonics: [String]) -> Bool {
        mnemonics.contains { mnemonic in
            let words = mnemonic.split(separator: " ")
            return zip(words, words.dropFirst()).contains { message.contains("\($0) \($1)") }
        }
    }

    @Test("any 3 of the 5 shares, and all 5 together, recover the key")
    func recoversFromValidShares() throws {
        for subset in combinations(of: 0..<5, size: 3) {
            #expect(try recover(subset.map { mnemonics[$0] }).hex == key.bytes.hex)
        }
        #expect(try recover(mnemonics).hex == key.bytes.hex)
    }

    @Test("a duplicate share is refused when entered and names the first entry")
    func duplicateShare() {
        let (error, accepted) = firstRefusal([mnemonics[0], mnemonics[1], mnemonics[0]])
        #expect(error == .duplicateShare(share: 3, sameAs: 1))
        #expect(accepted == 2)
        #expect(error?.description == "entry 3 is entry 1 entered again")
    }

    @Test("a share from another set is refused when entered")
    func foreignSet() throws {
        let other = try ShareSplitter.split(
            masterSecret: key.bytes, threshold: 3, count: 5, random: SystemRandomSource())
        let foreign = other[1].mnemonic().text
        let foreignIdentifier = other[1].metadata.identifier
        let ownIdentifier = try MnemonicShare.parse(SecretBytes(text: mnemonics[0]), shareNumber: 1).metadata.identifier
        try #require(foreignIdentifier != ownIdentifier, "two random 15-bit identifiers collided; rerun")
        let (error, accepted) = firstRefusal([mnemonics[0], foreign])
        #expect(
            error == .foreignSet(share: 2, identifier: foreignIdentifier, otherShare: 1, otherIdentifier: ownIdentifier)
        )
        #expect(accepted == 1)
        #expect(error?.category == .invalidInput)
    }

    @Test("a share of another set with the same identifier is caught by the digest, and named with one more share")
    func foreignSetWithSameIdentifier() throws {
        // The same random stream gives the same identifier and coefficients for a different secret.
        let a = try ShareSplitter.split(
            masterSecret: testKey(20), threshold: 2, count: 3, random: DeterministicRandomSource(seed: 5))
        let b = try ShareSplitter.split(
            masterSecret: testKey(21), threshold: 2, count: 3, random: DeterministicRandomSource(seed: 5))
        #expect(a[0].metadata == b[0].metadata)
        let mixed = [a[0].mnemonic().text, b[1].mnemonic().text]
        #expect(try recoveryError(mixed) == .digestMismatch(.shares([1, 2])))
        let named = [a[0].mnemonic().text, b[1].mnemonic().text, a[2].mnemonic().text]
        #expect(try recoveryError(named) == .inconsistent(bad: .shares([2]), agreeing: .shares([1, 3])))
    }

    @Test("too few shares are refused, with progress saying how many are missing")
    func tooFewShares() throws {
        var recovery = ShareRecovery()
        try recovery.add(SecretBytes(text: mnemonics[3]))
        try recovery.add(SecretBytes(text: mnemonics[1]))
        #expect(!recovery.progress.isComplete)
        #expect(recovery.progress.description == "2 of 3 shares entered")
        #expect(throws: ShareError.tooFewShares(group: nil, have: 2, need: 3)) {
            _ = try recovery.recoverMasterSecret()
        }
        #expect(throws: ShareError.noShares) { _ = try ShareRecovery().recoverMasterSecret() }
        #expect(
            ShareError.tooFewShares(group: nil, have: 2, need: 3).description == "2 shares were entered; 3 are needed")
    }

    @Test("one tampered share among M+1 is named, wherever it is", arguments: 0..<4)
    func tamperedShareIsNamed(position: Int) throws {
        var entered = Array(mnemonics[0..<4])
        entered[position] = try tamperedValue(of: entered[position], byte: 17)
        let error = try recoveryError(entered)
        let others = (1...4).filter { $0 != position + 1 }
        #expect(error == .inconsistent(bad: .shares([position + 1]), agreeing: .shares(others)))
        let message = try #require(error?.description)
        #expect(message.hasPrefix("entry \(position + 1) disagrees with entries "))
        #expect(!echoesWords(message, entered))
    }

    @Test("two tampered shares among M+2 are both named")
    func twoTamperedSharesAreNamed() throws {
        var entered = mnemonics
        entered[1] = try tamperedValue(of: entered[1])
        entered[4] = try tamperedValue(of: entered[4], byte: 31)
        #expect(try recoveryError(entered) == .inconsistent(bad: .shares([2, 5]), agreeing: .shares([1, 3, 4])))
    }

    @Test("two tampered shares among M+1 cannot be told apart: nothing is recovered")
    func tooManyTamperedShares() throws {
        var entered = Array(mnemonics[0..<4])
        entered[0] = try tamperedValue(of: entered[0])
        entered[2] = try tamperedValue(of: entered[2])
        let error = try recoveryError(entered)
        #expect(error == .noConsistentSubset(.shares([1, 2, 3, 4]), threshold: 3))
        #expect(
            error?.description
                == "no 3 of entries 1, 2, 3 and 4 combine into a verified secret: more than 1 of them are bad")
    }

    @Test("exactly M shares with one tampered fail the digest check")
    func digestMismatch() throws {
        let entered = [mnemonics[0], try tamperedValue(of: mnemonics[1], byte: 5), mnemonics[2]]
        let error = try recoveryError(entered)
        #expect(error == .digestMismatch(.shares([1, 2, 3])))
        #expect(error?.description.contains("digest check failed") == true)
    }

    @Test("a mistyped word fails the checksum when the share is entered")
    func badChecksum() throws {
        var words = mnemonics[1].split(separator: " ").map(String.init)
        words[9] = words[9] == "zero" ? "academic" : MnemonicWordList.word(at: 1023)
        let (error, accepted) = firstRefusal([mnemonics[0], words.joined(separator: " ")])
        #expect(error == .invalidChecksum(share: 2))
        #expect(accepted == 1)
    }

    @Test("two swapped words fail the checksum")
    func swappedWords() throws {
        var words = mnemonics[2].split(separator: " ").map(String.init)
        let swapAt = words[10] != words[11] ? 10 : 12
        words.swapAt(swapAt, swapAt + 1)
        #expect(firstRefusal([words.joined(separator: " ")]).error == .invalidChecksum(share: 1))
    }

    @Test("a share whose threshold was altered (checksum recomputed) is refused when entered")
    func alteredThreshold() throws {
        let forged = try altered(mnemonics[1], memberThreshold: 2)
        let (error, accepted) = firstRefusal([mnemonics[0], forged])
        #expect(
            error == .parameterMismatch(share: 2, parameter: .memberThreshold, value: 2, otherShare: 1, otherValue: 3))
        #expect(accepted == 1)
        #expect(
            error?.description
                == "entry 2 does not match entry 1: 2 shares needed where entry 1 has 3 shares needed; one of them is "
                + "from another set or was altered")
    }

    @Test("shares all altered to a lower threshold fail the digest check")
    func allThresholdsAltered() throws {
        let forged = try [mnemonics[0], mnemonics[3]].map { try altered($0, memberThreshold: 2) }
        #expect(try recoveryError(forged) == .digestMismatch(.shares([1, 2])))
    }

    @Test("an altered iteration exponent is refused when entered")
    func alteredIterationExponent() throws {
        let forged = try altered(mnemonics[1], iterationExponent: 4)
        #expect(
            firstRefusal([mnemonics[0], forged]).error
                == .parameterMismatch(share: 2, parameter: .iterationExponent, value: 4, otherShare: 1, otherValue: 1))
    }

    @Test("a different share claiming an entered share's index is refused")
    func conflictingMemberIndex() throws {
        let forged = try altered(mnemonics[2], memberIndex: 0)
        #expect(firstRefusal([mnemonics[0], forged]).error == .conflictingMemberIndex(share: 2, otherShare: 1))
    }

    @Test("member index 0 is an ordinary point: SLIP-0039 keeps the secret at x = 255 and the digest at 254")
    func memberIndexZero() throws {
        let shares = try ShareSplitter.split(
            masterSecret: key.bytes, threshold: 2, count: 3, random: SystemRandomSource())
        #expect(shares.map(\.metadata.memberIndex) == [0, 1, 2])
        // The share at x = 0 is not the secret.
        let isSecret = shares[0].value.bytes.constantTimeEquals(key.bytes)
        #expect(!isSecret)
        #expect(try recover([shares[0].mnemonic().text, shares[2].mnemonic().text]).hex == key.bytes.hex)
        // Member indices are 4 bits: no share can claim x = 254 or 255.
        #expect(SLIP39Format.maximumShareCount - 1 < Int(SLIP39Format.digestIndex))
    }

    @Test("two halves of different sets with one identifier are refused as ambiguous")
    func ambiguousHalves() throws {
        let a = try ShareSplitter.split(
            masterSecret: testKey(30), threshold: 2, count: 4, random: DeterministicRandomSource(seed: 8))
        let b = try ShareSplitter.split(
            masterSecret: testKey(31), threshold: 2, count: 4, random: DeterministicRandomSource(seed: 8))
        let entered = [a[0], a[1], b[2], b[3]].map { $0.mnemonic().text }
        #expect(try recoveryError(entered) == .ambiguous(.shares([1, 2, 3, 4])))
    }

    @Test("with more groups than needed, a group that disagrees is named")
    func badGroupIsNamed() throws {
        let groups = try ShareSplitter.split(
            masterSecret: key.bytes, groupThreshold: 2,
            groups: [.init(threshold: 1, count: 1), .init(threshold: 1, count: 1), .init(threshold: 2, count: 2)],
            passphrase: SecretBytes(zeroedCount: 0), random: SystemRandomSource())
        let m = groups.map { $0.map { $0.mnemonic().text } }
        let entered = [m[0][0], try tamperedValue(of: m[1][0], byte: 9), m[2][0], m[2][1]]
        let error = try recoveryError(entered)
        #expect(error == .inconsistent(bad: .groups([2]), agreeing: .groups([1, 3])))
        #expect(error?.description.hasPrefix("group 2 disagrees with groups 1 and 3, which combine") == true)
        #expect(try recover([m[0][0], m[2][0], m[2][1]]).hex == key.bytes.hex)
    }

    @Test("an unknown word is named by position, never echoed")
    func unknownWord() {
        var words = mnemonics[1].split(separator: " ").map(String.init)
        words[6] = "banana"
        let (error, _) = firstRefusal([mnemonics[0], words.joined(separator: " ")])
        #expect(error == .unknownWord(share: 2, word: 7))
        #expect(error?.description == "entry 2, word 7 is not in the SLIP-0039 word list")
    }

    @Test("a refused share keeps its number, so the operator re-enters the same share")
    func numbering() throws {
        var recovery = ShareRecovery()
        try recovery.add(SecretBytes(text: mnemonics[0]))
        #expect(throws: ShareError.unknownWord(share: 2, word: 1)) {
            try recovery.add(SecretBytes(text: "banana " + mnemonics[1]))
        }
        #expect(recovery.nextShareNumber == 2)
        let metadata = try recovery.add(SecretBytes(text: mnemonics[1]))
        #expect(metadata.memberIndex == 1)
        #expect(recovery.acceptedShares.count == 2)
    }

    @Test("no error message repeats a share's words")
    func messagesDoNotEchoShares() throws {
        var errors: [ShareError] = []
        var entered = Array(mnemonics[0..<4])
        entered[2] = try tamperedValue(of: entered[2])
        errors.append(try #require(try recoveryError(entered)))
        errors.append(try #require(try recoveryError(Array(entered[1...3]))))
        errors.append(try #require(firstRefusal([mnemonics[0], mnemonics[0]]).error))
        errors.append(try #require(firstRefusal([mnemonics[0], try altered(mnemonics[1], memberThreshold: 4)]).error))
        for error in errors {
            #expect(!echoesWords(error.description, mnemonics + entered), "\(error)")
        }
    }
}
