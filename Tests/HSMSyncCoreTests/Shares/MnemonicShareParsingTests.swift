import Foundation
import HSMSyncCore
import HSMSyncModel
import PKCS11
import SLIP39
import SecureMemory
import SignedLog
import Testing

@Suite("Parsing share text")
struct MnemonicShareParsingTests {
    /// Vector 1 of the reference vectors: a 1-of-1 share of a 128-bit secret.
    let vector1 =
        "duckling enlarge academic academic agency result length solution fridge kidney coal piece deal husband erode "
        + "duke ajar critical decision keyboard"

    @Test("fields are decoded from the share")
    func fields() throws {
        let share = try MnemonicShare.parse(SecretBytes(text: vector1), shareNumber: 1)
        #expect(share.metadata.identifier == 7945)
        #expect(!share.metadata.isExtendable)
        #expect(share.metadata.iterationExponent == 0)
        #expect(share.metadata.groupThreshold == 1 && share.metadata.groupCount == 1)
        #expect(share.metadata.memberIndex == 0 && share.metadata.memberThreshold == 1)
        #expect(share.metadata.valueByteCount == 16)
        #expect(share.metadata.wordCount == 20)
        #expect(share.metadata.description == "share 1 of set 7945, 1 share needed")
    }

    @Test("notes after #, any white space and any letter case are accepted")
    func lenientLayout() throws {
        let words = vector1.split(separator: " ")
        let file =
            "# hsmsync transport key share, custodian 1 of 1\n# the words:\n"
            + words[0..<10].joined(separator: "  ").uppercased() + "\t# first half\r\n"
            + words[10...].joined(separator: "\n") + "\n"
        let share = try MnemonicShare.parse(SecretBytes(text: file), shareNumber: 1)
        #expect(share.mnemonic().text == vector1)
    }

    @Test("the mnemonic is rendered in lower case with single spaces")
    func rendering() throws {
        let share = try MnemonicShare.parse(SecretBytes(text: vector1.uppercased()), shareNumber: 1)
        #expect(share.mnemonic().text == vector1)
    }

    @Test("empty text and text with only notes are refused", arguments: ["", "   \n\t", "# only a note\n# another"])
    func empty(text: String) {
        #expect(throws: ShareError.empty(share: 4)) {
            _ = try MnemonicShare.parse(SecretBytes(text: text), shareNumber: 4)
        }
    }

    @Test("lengths no share has are refused", arguments: [1, 19, 21, 1_001])
    func wordCount(count: Int) {
        let words = vector1.split(separator: " ")
        let text = (0..<count).map { String(words[$0 % words.count]) }.joined(separator: " ")
        #expect(throws: ShareError.invalidWordCount(share: 2, count: count)) {
            _ = try MnemonicShare.parse(SecretBytes(text: text), shareNumber: 2)
        }
    }

    @Test("a missing word is reported as a length problem")
    func missingWordMessage() {
        let text = vector1.split(separator: " ").dropLast().joined(separator: " ")
        let error = #expect(throws: ShareError.self) {
            _ = try MnemonicShare.parse(SecretBytes(text: text), shareNumber: 1)
        }
        #expect(error?.description.hasPrefix("entry 1 has 19 words; a SLIP-0039 share has at least 20") == true)
    }

    @Test(
        "tokens outside the word list are refused by position",
        arguments: ["academi", "academics", "acad3mic", "académic", "1.", "academic,"])
    func unknownTokens(token: String) {
        var words = vector1.split(separator: " ").map(String.init)
        words[4] = token
        #expect(throws: ShareError.unknownWord(share: 1, word: 5)) {
            _ = try MnemonicShare.parse(SecretBytes(text: words.joined(separator: " ")), shareNumber: 1)
        }
    }

    @Test("the first unknown word is the one named")
    func firstUnknownWord() {
        var words = vector1.split(separator: " ").map(String.init)
        words[12] = "xylophone"
        words[3] = "qwerty"
        #expect(throws: ShareError.unknownWord(share: 1, word: 4)) {
            _ = try MnemonicShare.parse(SecretBytes(text: words.joined(separator: " ")), shareNumber: 1)
        }
    }

    @Test("every word of the list is recognised, in either case")
    func everyWord() throws {
        // Build a share whose value words walk the whole list: encode, then look every word up.
        for start in stride(from: 0, to: MnemonicWordList.count, by: 13) {
            var words = vector1.split(separator: " ").map(String.init)
            for position in 4..<17 {
                words[position] = MnemonicWordList.word(at: (start + position) % MnemonicWordList.count)
            }
            // The checksum no longer matches, but every word must get past the word list.
            let text = words.joined(separator: " ")
            for candidate in [text, text.uppercased()] {
                #expect(throws: ShareError.invalidChecksum(share: 1)) {
                    _ = try MnemonicShare.parse(SecretBytes(text: candidate), shareNumber: 1)
                }
            }
        }
    }
}

@Suite("The SLIP-0039 word list")
struct MnemonicWordListTests {
    let words = (0..<MnemonicWordList.count).map(MnemonicWordList.word(at:))

    @Test("1024 sorted, distinct words of 4 to 8 letters with distinct 4-letter prefixes")
    func shape() {
        #expect(words.count == 1024)
        #expect(words == words.sorted())
        #expect(Set(words).count == 1024)
        #expect(words.allSatisfy { (4...8).contains($0.count) && $0.allSatisfy { ("a"..."z").contains($0) } })
        #expect(Set(words.map { $0.prefix(4) }).count == 1024)
        #expect(words.first == "academic" && words.last == "zero")
    }

    @Test("a fingerprint of the list matches the published list")
    func fingerprint() {
        // FNV-1a over "word\n" for every word: a cheap guard against an edited entry (the full
        // comparison with the reference's list runs in the interoperability suite).
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in words.joined(separator: "\n").utf8 + [0x0A] {
            hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
        }
        #expect(hash == Self.publishedFingerprint)
    }

    /// FNV-1a of slip-0039/wordlist.txt (SHA-256 bcc45553…1e601eec3).
    static let publishedFingerprint: UInt64 = 0xFEC1_9511_7220_7F95
}

@Suite("docs/custodian-shares.md")
struct CustodianSharesDocumentTests {
    @Test("the example share file parses to what its notes say")
    func example() throws {
        let document = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("docs/custodian-shares.md")
        let text = try String(contentsOf: document, encoding: .utf8)
        let fence = try #require(text.range(of: "```\n# hsmsync transport key share"))
        let end = try #require(text.range(of: "```", range: fence.upperBound..<text.endIndex))
        let file = String(text[text.index(fence.lowerBound, offsetBy: 4)..<end.lowerBound])
        let share = try MnemonicShare.parse(SecretBytes(text: file), shareNumber: 1)
        #expect(share.metadata.description == "share 3 of set 25653, 2 shares needed")
        #expect(file.contains("# hsmsync transport key share: fleet \"demo\", set 25653, share 3, 2 shares needed"))
        // Vector 4's secret, whose check value the example's notes quote.
        let kcv = try KeyCheckValue(aesKey: SecretBytes(hex: "b43ceb7e57a0ea8766221624d01b0864"))
        #expect(file.contains("key check value \(kcv.hex) (\(kcv.words.joined(separator: " ")))"))
    }
}
