import HSMSyncModel

/// What the verifier learns from one line on its own (grammar, fields, leaf hash), before the
/// line is checked against its neighbours. Computing it needs nothing but the line, so chunks of
/// lines can be examined in parallel.
struct LineRecord: Sendable {
    /// The kinds of action the verifier counts.
    enum ActionKind: UInt8, Sendable {
        case other, ceremonyOpen, ceremonyClose
    }

    var leafHash: MerkleHash
    /// Why the line is not a valid entry, or `nil`.
    var error: JSONSyntaxError?
    var seq: Int64 = 0
    var prev = MerkleHash.zero
    var logMatches = true
    var time = EntryTime(seconds: 0, nanoseconds: 0)
    var action = ActionKind.other

    private static let ceremonyOpen = Array("ceremony.open".utf8)
    private static let ceremonyClose = Array("ceremony.close".utf8)

    /// Examines one complete line (without its newline).
    static func examine(_ line: UnsafeRawBufferPointer, origin: [UInt8], parser: inout StrictJSONParser) -> LineRecord {
        let leafHash = TreeHasher.leafHash(line)
        let header: EntryHeader
        do {
            header = try EntryHeader.read(line, parser: &parser)
        } catch {
            return LineRecord(leafHash: leafHash, error: error)
        }
        var record = LineRecord(leafHash: leafHash)
        record.seq = header.seq
        record.prev = header.prev
        record.logMatches = EntryHeader.field(header.log, in: line, equals: origin)
        record.time = header.time
        if EntryHeader.field(header.action, in: line, equals: ceremonyOpen) {
            record.action = .ceremonyOpen
        } else if EntryHeader.field(header.action, in: line, equals: ceremonyClose) {
            record.action = .ceremonyClose
        }
        return record
    }

    /// A line too long to be an entry.
    static func overlong(length: Int64, leafHash: MerkleHash) -> LineRecord {
        LineRecord(
            leafHash: leafHash,
            error: JSONSyntaxError(
                offset: StrictJSONParser.maximumLineLength,
                reason: "line of \(length) bytes is longer than \(StrictJSONParser.maximumLineLength)"))
    }
}
