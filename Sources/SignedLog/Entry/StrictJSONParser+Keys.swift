import Glibc

extension StrictJSONParser {
    /// Rejects `span` when the current object already has a key with the same unescaped text.
    mutating func checkUnique(_ span: KeySpan, offset: Int) throws(JSONSyntaxError) {
        let first = objectStarts.last!
        guard first < keys.count else {
            if span.escaped { keysAscending[keysAscending.count - 1] = false }
            return
        }
        let candidate = UnsafeRawBufferPointer(start: base + span.start, count: span.count)
        if keysAscending[keysAscending.count - 1] {
            let last = keys[keys.count - 1]
            if !span.escaped && Self.precedes(base + last.start, last.count, base + span.start, span.count) {
                return
            }
            keysAscending[keysAscending.count - 1] = false
        }
        if keys.count - first >= 16 {
            var seen =
                largeObjectKeys[largeObjectKeys.count - 1]
                ?? Set(
                    keys[first...].map { key in
                        Self.unescape(
                            UnsafeRawBufferPointer(start: base + key.start, count: key.count), escaped: key.escaped)
                    })
            largeObjectKeys[largeObjectKeys.count - 1] = nil  // keep `seen` uniquely referenced
            let decoded = Self.unescape(candidate, escaped: span.escaped)
            guard seen.insert(decoded).inserted else {
                throw JSONSyntaxError(
                    offset: offset, reason: "duplicate key \"\(String(decoding: decoded, as: UTF8.self))\"")
            }
            largeObjectKeys[largeObjectKeys.count - 1] = seen
            return
        }
        var decodedCandidate: [UInt8]?
        for index in first..<keys.count {
            let other = keys[index]
            let otherBytes = UnsafeRawBufferPointer(start: base + other.start, count: other.count)
            let same: Bool
            if !span.escaped && !other.escaped {
                same =
                    other.count == span.count
                    && memcmp(otherBytes.baseAddress!, candidate.baseAddress!, span.count) == 0
            } else {
                if decodedCandidate == nil { decodedCandidate = Self.unescape(candidate, escaped: span.escaped) }
                same = Self.unescape(otherBytes, escaped: other.escaped) == decodedCandidate!
            }
            if same {
                let name = String(decoding: decodedCandidate ?? Array(candidate), as: UTF8.self)
                throw JSONSyntaxError(offset: offset, reason: "duplicate key \"\(name)\"")
            }
        }
    }

    /// Whether the bytes at `a` sort strictly before those at `b` (keys are short: no memcmp call).
    @inline(__always)
    private static func precedes(_ a: UnsafePointer<UInt8>, _ aCount: Int, _ b: UnsafePointer<UInt8>, _ bCount: Int)
        -> Bool
    {
        let common = min(aCount, bCount)
        var index = 0
        while index < common {
            if a[index] != b[index] { return a[index] < b[index] }
            index += 1
        }
        return aCount < bCount
    }
}
