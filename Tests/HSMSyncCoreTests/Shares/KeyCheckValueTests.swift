import HSMSyncModel
import PKCS11
import SLIP39
import SecureMemory
import SignedLog
import Testing

@testable import HSMSyncCore

@Suite("Key check values (AES-CMAC, X9.24-1-2017)")
struct KeyCheckValueTests {
    /// The AES-256 key of NIST SP 800-38B, appendix D.3 (examples 9–12).
    static let nistAES256Key = "603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4"

    @Test(
        "AES-CMAC matches the NIST SP 800-38B (AES-256) and RFC 4493 (AES-128) examples",
        arguments: [
            (nistAES256Key, "", "028962f61b7bf89efc6b551f4667d983"),
            (nistAES256Key, "6bc1bee22e409f96e93d7e117393172a", "28a7023f452e8f82bd4bf28d8c37c35c"),
            ("2b7e151628aed2a6abf7158809cf4f3c", "", "bb1d6929e95937287fa37d129b756746"),
            (
                "2b7e151628aed2a6abf7158809cf4f3c", "6bc1bee22e409f96e93d7e117393172a",
                "070a16b46b4d4144f79bdd9dd04a287c"
            ),
        ])
    func cmacVectors(key: String, message: String, tag: String) {
        let mac = hexBytes(message).withUnsafeBytes { KeyCheckValue.aesCMAC(key: SecretBytes(hex: key), message: $0) }
        #expect(mac == hexBytes(tag))
    }

    @Test("the check value is the CMAC of a zero block, leftmost 5 bytes")
    func knownCheckValue() throws {
        // Independently: `openssl mac -cipher AES-256-CBC -macopt hexkey:603deb10…dff4 -in <16 zero bytes> CMAC`
        // (OpenSSL 3.0) gives 1A0B2DF26763CFD6AFB9D3B1A2A846DA.
        let kcv = try KeyCheckValue(aesKey: SecretBytes(hex: Self.nistAES256Key))
        #expect(kcv.bytes == [0x1A, 0x0B, 0x2D, 0xF2, 0x67])
        #expect(kcv.hex == "1A0B2DF267")
        #expect(kcv.description == "1A0B2DF267")
        let zeroBlock = [UInt8](repeating: 0, count: 16)
        let fullMac = zeroBlock.withUnsafeBytes {
            KeyCheckValue.aesCMAC(key: SecretBytes(hex: Self.nistAES256Key), message: $0)
        }
        #expect(Array(fullMac.prefix(5)) == kcv.bytes)
    }

    @Test("hex and words round-trip")
    func renderings() throws {
        let kcv = try KeyCheckValue(aesKey: testKey(8))
        #expect(try KeyCheckValue(hex: kcv.hex) == kcv)
        #expect(try KeyCheckValue(hex: kcv.hex.lowercased()) == kcv)
        #expect(kcv.words.count == 4)
        #expect(try KeyCheckValue(words: kcv.words.joined(separator: " ").uppercased()) == kcv)
        let known = try KeyCheckValue(hex: "1a:0b:2d:f2:67")
        #expect(known.words == ["budget", "crystal", "tadpole", "numerous"])
    }

    @Test("the recovered key has the check value recorded at the split")
    func ceremonyRoundTrip() throws {
        let key = testKey(10)
        let recorded = try KeyCheckValue(aesKey: key)
        let shares = try ShareSplitter.split(masterSecret: key, threshold: 2, count: 3, random: SystemRandomSource())
        var recovery = ShareRecovery()
        for share in shares.prefix(2) {
            try recovery.add(share.mnemonic())
        }
        let recovered = try recovery.recoverMasterSecret()
        try KeyCheckValue(aesKey: recovered).verify(against: recorded)
    }

    @Test("a different key fails verification as an integrity failure")
    func mismatch() throws {
        let recorded = try KeyCheckValue(aesKey: testKey(1))
        let computed = try KeyCheckValue(aesKey: testKey(2))
        let error = #expect(throws: KeyCheckValueError.mismatch(recorded: recorded, computed: computed)) {
            try computed.verify(against: recorded)
        }
        #expect(error?.category == .integrity)
    }

    @Test("malformed records and non-AES key lengths are refused")
    func refusals() {
        #expect(throws: KeyCheckValueError.unsupportedKeyLength(bytes: 20)) {
            _ = try KeyCheckValue(aesKey: SecretBytes(zeroedCount: 20))
        }
        for hex in ["1A0B2DF2", "1A0B2DF2670", "1A0B2DF26G", ""] {
            #expect(throws: KeyCheckValueError.self, "\(hex)") { _ = try KeyCheckValue(hex: hex) }
        }
        #expect(throws: KeyCheckValueError.self) { _ = try KeyCheckValue(words: "budget crystal tadpole") }
        #expect(throws: KeyCheckValueError.self) { _ = try KeyCheckValue(words: "budget crystal tadpole numerously") }
        #expect(throws: KeyCheckValueError.self) { _ = try KeyCheckValue(bytes: [1, 2, 3]) }
    }
}
