import HSMSyncModel
import SignedLog
import Testing

@testable import HSMSyncCore

@Suite("JSONValue from Encodable")
struct JSONValueEncodingTests {
    struct Sample: Encodable {
        let name = "ca-root"
        let count = 3
        let big: Int64 = 9_007_199_254_740_993
        let flag = true
        let off = false
        let optional: String? = nil
        let list = [1, 2]
        let nested = ["kcv": "00aa"]
    }

    @Test("strings, integers (beyond 2^53), booleans, arrays, objects; nil keys left out")
    func sample() throws {
        let value = try JSONValue(encoding: Sample())
        #expect(
            value
                == .object([
                    "name": "ca-root", "count": 3, "big": .integer(9_007_199_254_740_993), "flag": true, "off": false,
                    "list": [1, 2], "nested": ["kcv": "00aa"],
                ]))
    }

    @Test("a floating-point number is refused, not rounded")
    func float() {
        #expect(throws: JSONValueEncodingError.self) { try JSONValue(encoding: ["seconds": 1.5]) }
    }
}
