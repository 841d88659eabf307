import HSMSyncModel

/// The body of a C2SP tlog-checkpoint (v1.0.0): origin, tree size, root hash, then optional
/// extension lines, each line ending in a newline.
public struct Checkpoint: Hashable, Sendable {
    /// The log's origin (equal to the log key's name).
    public let origin: String
    /// The number of entries the checkpoint covers.
    public let size: UInt64
    /// `MTH` of those entries.
    public let rootHash: MerkleHash
    /// Extension lines (hsmsync writes none; `verify --strict` rejects them).
    public let extensionLines: [String]

    public init(origin: String, size: UInt64, rootHash: MerkleHash, extensionLines: [String] = []) {
        self.origin = origin
        self.size = size
        self.rootHash = rootHash
        self.extensionLines = extensionLines
    }

    /// The note text: `<origin>\n<size>\n<base64 root>\n` and any extension lines.
    public var text: String {
        ([origin, String(size), rootHash.base64] + extensionLines).map { $0 + "\n" }.joined()
    }

    /// Parses a checkpoint body strictly: origin a valid key name, size decimal without leading
    /// zeros, root canonical base64 of 32 bytes, no empty extension line.
    /// - Throws: ``NoteFormatError`` naming the line at fault.
    public init(text: String) throws(NoteFormatError) {
        guard text.hasSuffix("\n") else { throw NoteFormatError("the checkpoint text does not end with a newline") }
        let lines = text.dropLast().split(separator: "\n", omittingEmptySubsequences: false)
        guard lines.count >= 3 else {
            throw NoteFormatError("a checkpoint has at least three lines: origin, size, root hash")
        }
        let origin = String(lines[0])
        guard KeyName.isValid(origin) else {
            throw NoteFormatError("invalid checkpoint origin \"\(origin)\"")
        }
        let sizeText = lines[1]
        guard let size = Self.parseSize(sizeText) else {
            throw NoteFormatError("the checkpoint size \"\(sizeText)\" is not a decimal number without leading zeros")
        }
        guard let root = MerkleHash(base64: lines[2]) else {
            throw NoteFormatError("the checkpoint root \"\(lines[2])\" is not canonical base64 of 32 bytes")
        }
        let extensions = lines.dropFirst(3).map(String.init)
        if extensions.contains(where: \.isEmpty) {
            throw NoteFormatError("the checkpoint has an empty extension line")
        }
        self.origin = origin
        self.size = size
        self.rootHash = root
        self.extensionLines = extensions
    }

    /// ASCII decimal, no sign, no leading zeros (`0` alone is zero), within 64 bits.
    static func parseSize(_ text: some StringProtocol) -> UInt64? {
        let utf8 = Array(text.utf8)
        guard !utf8.isEmpty, utf8.count <= 20, utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        guard utf8.count == 1 || utf8[0] != 0x30 else { return nil }
        return UInt64(String(decoding: utf8, as: UTF8.self))
    }
}
