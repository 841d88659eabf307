import HSMSyncModel
import SignedLog
import Testing

@testable import HSMSyncCore

@Suite("PGP words")
struct PGPWordsTests {
    @Test("two lists of 256 distinct words; known ends and middle")
    func lists() {
        #expect(PGPWords.even.count == 256 && Set(PGPWords.even).count == 256)
        #expect(PGPWords.odd.count == 256 && Set(PGPWords.odd).count == 256)
        #expect(PGPWords.even[0] == "aardvark" && PGPWords.odd[0] == "adroitness")
        #expect(PGPWords.even[0xFF] == "Zulu" && PGPWords.odd[0xFF] == "Yucatan")
        #expect(PGPWords.even[0x17] == "banjo" && PGPWords.odd[0x17] == "bookseller")
        #expect(PGPWords.string(for: [0xE5, 0x82, 0x94]) == "topmost Istanbul Pluto")
    }

    @Test("round trip; a swapped or dropped word is caught by the even/odd lists")
    func roundTrip() {
        let bytes: [UInt8] = [0x00, 0x01, 0xFE, 0xFF, 0x10]
        let words = PGPWords.words(for: bytes)
        #expect(PGPWords.bytes(for: words) == bytes)
        #expect(PGPWords.bytes(for: words.map { $0.uppercased() }) == bytes)
        #expect(PGPWords.bytes(for: Array(words.dropFirst())) == nil)
        #expect(PGPWords.bytes(for: [words[1], words[0]] + words.dropFirst(2)) == nil)
    }
}
