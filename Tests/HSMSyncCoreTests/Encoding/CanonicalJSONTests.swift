import Crypto
import Foundation
import HSMSyncModel
import Testing

@testable import HSMSyncCore

/// The bytes of what is hashed or signed must never change: an envelope sealed, a journal line
/// bound to a signed intent entry, a bundle signed by an earlier version must still verify. The
/// label carries the characters on which Foundation's escaping differs from the log's (`/`, `\b`,
/// DEL, a C1 control, non-ASCII), so a change of encoder shows up here.
@Suite("Canonical JSON of hashed and signed values")
struct CanonicalJSONTests {
    static let label = "ca/root\u{8}\u{7F}\u{85}é"

    static let envelope = KeyEnvelope(
        opID: "op-1", source: KeyEnvelope.Source(hsm: "primary-1", tokenSerial: "0001", tokenLabel: "primary"),
        key: KeyTemplate(
            objectClass: .secretKey, keyType: .aes, label: label, id: "01a4",
            flags: [.sign: false, .decrypt: true, .label: true], allowedMechanisms: [0x1085, 0x2109],
            publicAttributes: [.ecPoint: "04ab"], valueLength: 32),
        publicKey: nil, fingerprint: .available(method: .transportWrap(transportCheckValue: "0a1b"), sha256: "ff00"),
        transportCheckValue: "0a1b", mechanism: "CKM_AES_KEY_WRAP", wrappedKey: [1, 2, 3, 4],
        createdAt: Date(timeIntervalSince1970: 1_777_903_402.9))

    @Test("an envelope's seal and bytes are those earlier versions wrote")
    func envelope() throws {
        #expect(Self.envelope.digest == "a9aba55c96c908afa29cbab29c89ef79fba01557f803c04a52132cd85e6b29e4")
        #expect(Self.envelope.computedDigest == Self.envelope.digest)
        let bytes = try Self.envelope.encoded()
        #expect(
            Array(SHA256.hash(data: bytes)).hexString
                == "ad33fcc06506d8da1532bd3ca4f683a7328f511a693c9e19fd5fe2c24ac721bb")
    }

    @Test("a journal operation's digest is the one earlier versions logged")
    func journal() {
        let operation = ReplicationJournal.Operation(
            op: "op-1", key: KeyIdentity(objectClass: .privateKey, label: Self.label, id: "02"),
            publicKey: KeyIdentity(objectClass: .publicKey, label: Self.label, id: "02"), source: "primary-1",
            destination: "dr-1", fingerprint: .available(method: .subjectPublicKeyInfo, sha256: "00ff"),
            incompleteObjectsBefore: 0, keyPolicy: nil, publicKeyPolicy: nil)
        #expect(operation.digest == "8ff30c0166d40eb6fb1c3b80895aaebaeed1e568b0c31f528bb6958150d11d13")
    }

    @Test("keys sort by their UTF-8 bytes, as in log entries; `/` is not escaped; dates are RFC 3339")
    func encodable() throws {
        let object = Dictionary(uniqueKeysWithValues: ["b", "B", "a10", "a9", "a_", "aB", "é", "Z"].map { ($0, 1) })
        #expect(
            try CanonicalJSON.encode(encodable: object)
                == CanonicalJSON.encode(.object(object.mapValues { .integer(Int64($0)) })))
        struct Stamped: Encodable {
            let path: String
            let at: Date
        }
        let stamped = try CanonicalJSON.encode(encodable: Stamped(path: "a/b", at: Date(timeIntervalSince1970: 0)))
        #expect(String(decoding: stamped, as: UTF8.self) == #"{"at":"1970-01-01T00:00:00Z","path":"a/b"}"#)
    }
}
