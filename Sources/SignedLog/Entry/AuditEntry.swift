public import HSMSyncModel

/// One entry as read back from `entries.jsonl` (for `log show` and for commands that look back
/// in the log). The verifier does not use this type: it checks the bytes without building values.
public struct AuditEntry: Hashable, Sendable {
    /// The exact line bytes (the Merkle leaf), without the newline.
    public let line: [UInt8]
    /// `SHA-256(0x00 ‖ line)`.
    public let leafHash: MerkleHash
    /// All fields as parsed.
    public let fields: [String: JSONValue]

    public var seq: Int64? { fields["seq"]?.integerValue }
    public var log: String? { fields["log"]?.stringValue }
    public var prev: String? { fields["prev"]?.stringValue }
    public var time: String? { fields["time"]?.stringValue }
    public var action: String? { fields["action"]?.stringValue }
    public var result: String? { fields["result"]?.stringValue }
    public var ceremony: String? { fields["ceremony"]?.stringValue }
    public var step: String? { fields["step"]?.stringValue }
    public var actorID: String? { fields["actor"]?["id"]?.stringValue }
    public var outputs: [String: JSONValue] { fields["outputs"]?.objectValue ?? [:] }
    public var detail: [String: JSONValue] { fields["detail"]?.objectValue ?? [:] }

    /// Parses a line with the strict grammar.
    /// - Throws: ``JSONSyntaxError``.
    public init(line: [UInt8]) throws(JSONSyntaxError) {
        let value = try line.withBytes { (raw) throws(JSONSyntaxError) in try JSONTreeBuilder.parse(raw) }
        self.line = line
        self.leafHash = TreeHasher.leafHash(line)
        self.fields = value.objectValue ?? [:]
    }
}
