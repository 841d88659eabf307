package import HSMSyncModel

/// Writes an entry line: the draft's fields plus `v`, `log`, `seq`, `prev` and `time`, as
/// canonical JSON (keys sorted, no white space, no floats, no `\/`), without the newline.
package enum EntryEncoder {
    private static let hexDigits = Array("0123456789abcdef".utf8)

    /// The line bytes.
    package static func line(
        for draft: AuditEntryDraft, origin: String, seq: UInt64, prev: MerkleHash, time: EntryTime
    ) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(320)
        // Top-level keys in sorted byte order: action actor ceremony detail inputs log outputs prev
        // result seq step time v.
        func key(_ name: StaticString, first: Bool = false) {
            if !first { out.append(UInt8(ascii: ",")) }
            out.append(UInt8(ascii: "\""))
            out.append(contentsOf: UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount))
            out.append(contentsOf: [UInt8(ascii: "\""), UInt8(ascii: ":")])
        }
        out.append(UInt8(ascii: "{"))
        key("action", first: true)
        CanonicalJSON.appendString(draft.action.rawValue, to: &out)
        key("actor")
        // {"auth","id","role"}: already in key order.
        out.append(UInt8(ascii: "{"))
        if let auth = draft.actor.auth {
            out.append(contentsOf: Array(#""auth":"#.utf8))
            CanonicalJSON.appendString(auth, to: &out)
            out.append(UInt8(ascii: ","))
        }
        out.append(contentsOf: Array(#""id":"#.utf8))
        CanonicalJSON.appendString(draft.actor.id, to: &out)
        if let role = draft.actor.role {
            out.append(contentsOf: Array(#","role":"#.utf8))
            CanonicalJSON.appendString(role, to: &out)
        }
        out.append(UInt8(ascii: "}"))
        if let ceremony = draft.ceremony {
            key("ceremony")
            CanonicalJSON.appendString(ceremony, to: &out)
        }
        key("detail")
        CanonicalJSON.append(.object(draft.detail), to: &out)
        key("inputs")
        CanonicalJSON.append(.object(draft.inputs.mapValues { .string($0.description) }), to: &out)
        key("log")
        CanonicalJSON.appendString(origin, to: &out)
        key("outputs")
        CanonicalJSON.append(.object(draft.outputs), to: &out)
        key("prev")
        out.append(UInt8(ascii: "\""))
        prev.withUnsafeBytes { bytes in
            for byte in bytes {
                out.append(hexDigits[Int(byte >> 4)])
                out.append(hexDigits[Int(byte & 0x0F)])
            }
        }
        out.append(UInt8(ascii: "\""))
        key("result")
        CanonicalJSON.appendString(draft.result.rawValue, to: &out)
        key("seq")
        out.append(contentsOf: String(seq).utf8)
        if let step = draft.step {
            key("step")
            CanonicalJSON.appendString(step, to: &out)
        }
        key("time")
        out.append(UInt8(ascii: "\""))
        time.appendText(to: &out)
        out.append(UInt8(ascii: "\""))
        key("v")
        out.append(UInt8(ascii: "1"))
        out.append(UInt8(ascii: "}"))
        return out
    }
}
