import Foundation
import HSMSyncModel
import SignedLog
import Testing

@testable import HSMSyncCore

/// The canonical writer and the strict byte-level parser of entry lines (AUDIT-LOG.md §3, T20).
@Suite("Strict JSON lines")
struct StrictJSONTests {
    static func parse(_ bytes: [UInt8]) throws(JSONSyntaxError) -> JSONValue {
        try bytes.withBytes { (raw) throws(JSONSyntaxError) in try JSONTreeBuilder.parse(raw) }
    }

    static func rejects(_ bytes: [UInt8], _ comment: Comment) {
        #expect(throws: JSONSyntaxError.self, comment) { try parse(bytes) }
    }

    @Test("canonical form: sorted keys, no white space, no \\/, control characters escaped")
    func canonical() throws {
        let value: JSONValue = [
            "zeta": 1, "alpha": ["b": true, "a": nil], "path": "a/b", "quote": "\"\\", "ctl": "\u{01}\u{7F}\u{85}\n\t",
            "text": "Grüße 🔑", "list": [-9_223_372_036_854_775_808, 0],
        ]
        let text = String(decoding: CanonicalJSON.encode(value), as: UTF8.self)
        #expect(
            text
                == #"{"alpha":{"a":null,"b":true},"ctl":"\u0001\u007f\u0085\n\t","list":[-9223372036854775808,0],"path":"a/b","quote":"\"\\","text":"Grüße 🔑","zeta":1}"#
        )
        #expect(try Self.parse(CanonicalJSON.encode(value)) == value)
    }

    @Test("a written entry line parses back, field by field")
    func entryRoundTrip() throws {
        let draft = AuditEntryDraft(
            action: .ceremonyOpen,
            actor: AuditActor(id: "alice@example.org", role: "CO2", auth: "pkcs11-login:slot3:CKU_USER"),
            ceremony: "KC-2026-05", step: "4.2", inputs: ["script": AuditDigest.sha256(of: [1, 2, 3])],
            outputs: ["kcv": "1F2E3D"], detail: ["note": "a/b"])
        let time = EntryTime(seconds: 1_777_903_402, nanoseconds: 118_000_000)
        let line = EntryEncoder.line(
            for: draft, origin: "ceremony.example.org/kc/6f1c", seq: 17, prev: .zero, time: time)
        let text = String(decoding: line, as: UTF8.self)
        #expect(!text.contains(" ") || text.contains("\"a/b\""))
        #expect(!text.contains("\\/"))
        #expect(text.contains(#""time":"2026-05-04T14:03:22.118Z""#))
        let entry = try AuditEntry(line: line)
        #expect(
            entry.seq == 17 && entry.action == "ceremony.open" && entry.ceremony == "KC-2026-05" && entry.step == "4.2")
        #expect(entry.actorID == "alice@example.org" && entry.outputs["kcv"] == "1F2E3D")
        #expect(entry.fields["inputs"]?["script"]?.stringValue == AuditDigest.sha256(of: [1, 2, 3]).description)
        let keys = text.dropFirst().split(separator: ",").compactMap {
            $0.hasPrefix("\"") ? $0.split(separator: ":").first : nil
        }
        #expect(keys.count > 5)
    }

    @Test("rejected: CR, BOM, invalid UTF-8, control characters, duplicate keys, floats, long lines")
    func rejections() {
        Self.rejects(Array(#"{"a":1}"#.utf8) + [0x0D], "CRLF")
        Self.rejects([0xEF, 0xBB, 0xBF] + Array(#"{"a":1}"#.utf8), "BOM")
        Self.rejects(Array(#"{"a":""#.utf8) + [0xFF] + Array(#""}"#.utf8), "invalid UTF-8")
        Self.rejects(Array(#"{"a":""#.utf8) + [0xC0, 0xAF] + Array(#""}"#.utf8), "overlong UTF-8")
        Self.rejects(Array(#"{"a":""#.utf8) + [0xED, 0xA0, 0x80] + Array(#""}"#.utf8), "UTF-8 surrogate")
        Self.rejects(Array(#"{"a":""#.utf8) + [0xC2, 0x85] + Array(#""}"#.utf8), "raw C1 control")
        Self.rejects(Array(#"{"a":"x"#.utf8) + [0x01] + Array(#""}"#.utf8), "raw control character")
        Self.rejects(Array(#"{"a":"x"#.utf8) + [0x7F] + Array(#""}"#.utf8), "raw DEL")
        Self.rejects(Array("{\"a\":\t1}".utf8), "tab as white space")
        Self.rejects(Array(#"{"a":1,"a":2}"#.utf8), "duplicate key")
        Self.rejects(Array(#"{"a":1,"\u0061":2}"#.utf8), "duplicate key after unescaping")
        Self.rejects(Array(#"{"o":{"k":1,"k":1}}"#.utf8), "nested duplicate key")
        Self.rejects(Array(#"{"seq":17.0}"#.utf8), "17.0")
        Self.rejects(Array(#"{"seq":1e3}"#.utf8), "exponent")
        Self.rejects(Array(#"{"seq":017}"#.utf8), "leading zero")
        Self.rejects(Array(#"{"seq":9223372036854775808}"#.utf8), "beyond 64 bits")
        Self.rejects(Array(#"{"a":"\ud800"}"#.utf8), "unpaired surrogate escape")
        Self.rejects(Array(#"{"a":"\x"}"#.utf8), "invalid escape")
        Self.rejects(Array(#"{"a":NaN}"#.utf8), "NaN")
        Self.rejects(Array(#"[1]"#.utf8), "not an object")
        Self.rejects(Array(#"{"a":1} x"#.utf8), "trailing bytes")
        Self.rejects(Array(#"{"a":1"#.utf8), "unterminated")
        Self.rejects([], "empty line")
        let deep = String(repeating: "[", count: 40) + String(repeating: "]", count: 40)
        Self.rejects(Array(#"{"a":\#(deep)}"#.utf8), "too deep")
        let long = #"{"a":""# + String(repeating: "x", count: 65_530) + #""}"#
        Self.rejects(Array(long.utf8), "longer than 65,535 bytes")
        let largeDuplicate = "{" + (0..<40).map { "\"k\($0)\":0" }.joined(separator: ",") + ",\"k7\":1}"
        Self.rejects(Array(largeDuplicate.utf8), "duplicate among many keys")
    }

    @Test("accepted: escapes (\\/ too), surrogate pairs, spaces, the largest line")
    func acceptances() throws {
        #expect(try Self.parse(Array(#"{"a":"\/\ud83d\udd11\u00e9"}"#.utf8))["a"] == "/🔑é")
        #expect(try Self.parse(Array(#" { "a" : [ 1 , -0 ] } "#.utf8))["a"] == [1, 0])
        let exactly = #"{"a":""# + String(repeating: "x", count: 65_535 - 8) + #""}"#
        #expect(exactly.utf8.count == 65_535)
        #expect(try Self.parse(Array(exactly.utf8))["a"] != nil)
    }

    @Test("entry fields: version, types, prev and time formats")
    func entryFields() {
        func header(_ text: String) -> Bool {
            var parser = StrictJSONParser()
            return Array(text.utf8).withUnsafeBytes { (try? EntryHeader.read($0, parser: &parser)) != nil }
        }
        let prev = String(repeating: "0", count: 64)
        let good = #"{"action":"x","log":"o","prev":"\#(prev)","seq":0,"time":"2026-05-04T14:03:22.118Z","v":1}"#
        #expect(header(good))
        #expect(!header(good.replacingOccurrences(of: #""v":1"#, with: #""v":2"#)))
        #expect(!header(good.replacingOccurrences(of: #""seq":0"#, with: #""seq":"0""#)))
        #expect(!header(good.replacingOccurrences(of: #""seq":0"#, with: #""seq":-1"#)))
        #expect(
            !header(
                good.replacingOccurrences(of: prev, with: prev.uppercased().replacingOccurrences(of: "0", with: "A"))))
        #expect(!header(good.replacingOccurrences(of: "22.118Z", with: "22.118+00:00")))
        #expect(!header(good.replacingOccurrences(of: "2026-05-04", with: "2026-02-30")))
        #expect(!header(good.replacingOccurrences(of: #""action":"x","#, with: "")))
        #expect(header(good.replacingOccurrences(of: "22.118Z", with: "22Z")))
    }

    @Test("entry times: RFC 3339 UTC text round trip")
    func times() throws {
        let time = try #require(EntryTime(parsing: "2026-05-04T14:03:22.118Z"))
        #expect(time.text == "2026-05-04T14:03:22.118Z")
        #expect(EntryTime(parsing: "1970-01-01T00:00:00Z")?.seconds == 0)
        #expect(EntryTime(parsing: "2024-02-29T23:59:59.999999999Z") != nil)
        #expect(EntryTime(parsing: "2023-02-29T00:00:00Z") == nil)
        #expect(EntryTime(parsing: "2026-05-04t14:03:22Z") == nil)
        #expect(EntryTime(parsing: "2026-05-04T24:00:00Z") == nil)
    }
}
