import Foundation
import HSMSyncModel
import PKCS11
import SecureMemory
import SignedLog
import Testing

@testable import HSMSyncCore

/// C2SP signed-note, vkeys, private key text and cosignatures: the vectors of AUDIT-LOG.md §7
/// (T21) and the strict grammar (T18, T20).
@Suite("Signed notes and keys")
struct SignedNoteTests {
    static let exampleVkey = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k"
    static let exampleNote =
        "This is an example message.\n\n\u{2014} example.com/foo "
        + "Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n"

    @Test("the signed-note example verifies; its key ID recomputes to 530d903a")
    func signedNoteExample() throws {
        let key = try VerifierKey(parsing: Self.exampleVkey)
        #expect(KeyID.hex(key.keyID) == "530d903a")
        #expect(key.type == .ed25519)
        let note = try SignedNote(parsing: Array(Self.exampleNote.utf8))
        #expect(note.text == "This is an example message.\n")
        #expect(note.signatures.count == 1)
        #expect(note.signatures[0].signature.count == 64)  // the line decodes to 4 + 64 bytes
        #expect(key.verify(note.signatures[0], text: note.textBytes))
        #expect(note.serialized == Self.exampleNote)
        // One changed byte of text, and the signature no longer verifies.
        #expect(!key.verify(note.signatures[0], text: Array("This is an example message!\n".utf8)))
    }

    @Test("the Go private key text derives its vkey (base64 containing '+')")
    func privateKeyText() throws {
        let text = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
        let key = try NotePrivateKey.parse(SecretBytes(copying: Array(text.utf8)))
        #expect(key.verifierKey.description == "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW")
        #expect(KeyID.hex(key.keyID) == "c74f20a3")
        let signature = try key.noteSignature(over: Array("hello\n".utf8), now: 0)
        #expect(key.verifierKey.verify(signature, text: Array("hello\n".utf8)))
    }

    @Test("a private key text with a wrong key ID, or another type, is refused")
    func privateKeyTextErrors() throws {
        let wrongID = "PRIVATE+KEY+PeterNeumann+c74f20a4+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
        #expect(throws: NoteFormatError.self) {
            _ = try NotePrivateKey.parse(SecretBytes(copying: Array(wrongID.utf8)))
        }
        let notAKey = "PUBLIC+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
        #expect(throws: NoteFormatError.self) {
            _ = try NotePrivateKey.parse(SecretBytes(copying: Array(notAKey.utf8)))
        }
    }

    @Test("the tlog-cosignature example decodes to 76 bytes, key ID 8d66cf3f, time 1679315147")
    func cosignatureExample() throws {
        let text = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
        let line =
            "\u{2014} witness.example.com/w1 jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZCB9dlrDJsX3b2oyin1nPZqhf5nNo0xUe+mbIUBkBIfZ+qnA==\n"
        let note = try SignedNote(parsing: Array((text + "\n" + line).utf8))
        let checkpoint = try Checkpoint(text: note.text)
        #expect(checkpoint.origin == "example.com/behind-the-sofa" && checkpoint.size == 20_852_163)
        let signature = try #require(note.signatures.first)
        #expect(4 + signature.signature.count == 76)
        #expect(KeyID.hex(signature.keyID) == "8d66cf3f")
        let cosignature = try #require(Cosignature(signature))
        #expect(cosignature.timestamp == 1_679_315_147)
        #expect(
            Cosignature.message(timestamp: 1_679_315_147, checkpointText: note.textBytes)
                == Array(("cosignature/v1\ntime 1679315147\n" + text).utf8))
    }

    @Test("a witness key's cosignature verifies and binds the checkpoint text and the time")
    func cosignatureRoundTrip() throws {
        let key = try NotePrivateKey.generate(name: "witness.example/w1", type: .cosignatureV1)
        let text = Array("log.example/x\n5\n\(MerkleHash.zero.base64)\n".utf8)
        let signature = try key.noteSignature(over: text, now: 1_700_000_000)
        #expect(4 + signature.signature.count == 76)
        #expect(key.verifierKey.verify(signature, text: text))
        #expect(!key.verifierKey.verify(signature, text: Array("log.example/x\n6\n\(MerkleHash.zero.base64)\n".utf8)))
        var retimed = signature.signature
        retimed[7] ^= 1
        #expect(
            !key.verifierKey.verify(
                NoteSignature(keyName: signature.keyName, keyID: signature.keyID, signature: retimed), text: text))
    }

    @Test("vkeys: '+' in the base64 parses; a wrong key ID, a bad type or a short key is BAD_VKEY")
    func vkeys() throws {
        // Generate until the base64 holds a '+': split on the first two '+' only.
        var withPlus: VerifierKey?
        for _ in 0..<200 where withPlus == nil {
            let key = try NotePrivateKey.generate(name: "log.example/plus").verifierKey
            if key.description.split(separator: "+", maxSplits: 2)[2].contains("+") { withPlus = key }
        }
        let key = try #require(withPlus)
        #expect(try VerifierKey(parsing: key.description) == key)
        #expect(try VerifierKey(parsing: key.description + "\n") == key)

        let parts = key.description.split(separator: "+", maxSplits: 2)
        let wrongID = "\(parts[0])+00000000+\(parts[2])"
        #expect(throws: NoteFormatError.self) { try VerifierKey(parsing: wrongID) }
        let short = "\(parts[0])+\(parts[1])+\(Base64.encode([1] + [UInt8](repeating: 7, count: 31)))"
        #expect(throws: NoteFormatError.self) { try VerifierKey(parsing: short) }
        let unknownType = "\(parts[0])+\(parts[1])+\(Base64.encode([9] + key.publicKey))"
        #expect(throws: NoteFormatError.self) { try VerifierKey(parsing: unknownType) }
        #expect(throws: NoteFormatError.self) { try VerifierKey(parsing: "no-plus-signs") }
        #expect(throws: NoteFormatError.self) { try VerifierKey(parsing: "bad name+\(parts[1])+\(parts[2])") }
    }

    @Test("ECDSA P-256 type 0x02: key ID is SHA-256 of the DER SPKI, DER signatures over SHA-256 verify")
    func ecdsaType2() throws {
        let privateKey = P256SigningKeyForTests()
        let vkey = try VerifierKey.ecdsa(name: "hsm.example/log", subjectPublicKeyInfo: privateKey.spki)
        #expect(vkey.type == .ecdsa)
        #expect(vkey.keyID == KeyID.value(AuditDigest.sha256(of: privateKey.spki).bytes))
        #expect(try VerifierKey(parsing: vkey.description) == vkey)
        let text = Array("hsm.example/log\n3\n\(MerkleHash.zero.base64)\n".utf8)
        let signature = NoteSignature(keyName: vkey.name, keyID: vkey.keyID, signature: try privateKey.signDER(text))
        #expect(vkey.verify(signature, text: text))
        #expect(!vkey.verify(signature, text: text + [0x0A]))
    }

    @Test("note grammar: em dash, canonical base64, final newline, control characters, 100 signatures")
    func noteGrammar() throws {
        let key = try NotePrivateKey.generate(name: "log.example/g")
        let text = "log.example/g\n1\n\(MerkleHash.zero.base64)\n"
        let line = try key.noteSignature(over: Array(text.utf8), now: 0).line
        let good = text + "\n" + line
        _ = try SignedNote(parsing: Array(good.utf8))

        func rejects(_ note: String, _ comment: Comment) {
            #expect(throws: NoteFormatError.self, comment) { try SignedNote(parsing: Array(note.utf8)) }
        }
        rejects(text + "\n" + line.replacingOccurrences(of: "\u{2014} ", with: "- "), "ASCII '-' for the em dash")
        let blob = String(line.split(separator: " ")[2].dropLast())
        rejects(text + "\n\u{2014} log.example/g " + blob.dropLast() + "\n", "missing padding")
        rejects(
            text + "\n\u{2014} log.example/g " + blob.prefix(8) + " " + blob.dropFirst(8) + "\n",
            "white space in base64")
        rejects(String(good.dropLast()), "no final newline")
        rejects(text + "\n", "no signature line")
        rejects(text + line, "no blank line")
        rejects(text.replacingOccurrences(of: "\n1\n", with: "\n1\r\n") + "\n" + line, "carriage return")
        var bytes = Array(good.utf8)
        bytes[3] = 0xFF
        #expect(throws: NoteFormatError.self) { try SignedNote(parsing: bytes) }

        let hundred = text + "\n" + String(repeating: line, count: 100)
        #expect(try SignedNote(parsing: Array(hundred.utf8)).signatures.count == 100)
        rejects(hundred + line, "101 signature lines")
    }

    @Test("checkpoint grammar: size without leading zeros, 32-byte canonical root")
    func checkpointGrammar() throws {
        let root = MerkleHash.zero.base64
        #expect(try Checkpoint(text: "a.example/x\n17\n\(root)\n").size == 17)
        #expect(try Checkpoint(text: "a.example/x\n0\n\(root)\n").size == 0)
        #expect(try Checkpoint(text: "a.example/x\n17\n\(root)\next\n").extensionLines == ["ext"])
        for bad in [
            "a.example/x\n0017\n\(root)\n", "a.example/x\n-1\n\(root)\n", "a.example/x\n1 7\n\(root)\n",
            "a.example/x\n17\n\(root.dropLast())\n",
            "a.example/x\n17\n\(Base64.encode([UInt8](repeating: 0, count: 31)))\n",
            "a example\n17\n\(root)\n", "a.example/x\n17\n", "a.example/x\n17\n\(root)", "a.example/x\n17\n\(root)\n\n",
            "a.example/x\n18446744073709551616\n\(root)\n",
        ] {
            #expect(throws: NoteFormatError.self, "\(bad)") { try Checkpoint(text: bad) }
        }
    }

    @Test("strict base64: one spelling per byte string")
    func base64Strictness() {
        #expect(Base64.decode("AA==") == [0])
        #expect(Base64.decode("AB==") == nil)  // unused bits set
        #expect(Base64.decode("AA=") == nil)
        #expect(Base64.decode("A===") == nil)
        #expect(Base64.decode("AA=A") == nil)
        #expect(Base64.decode(" AA=") == nil)
        for count in 0..<40 {
            let bytes = (0..<count).map { UInt8(truncatingIfNeeded: $0 * 37 + 11) }
            #expect(Base64.decode(Base64.encode(bytes)) == bytes)
        }
    }
}
