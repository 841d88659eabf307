import HSMSyncModel

/// The `state` file: where the writer left off at its last checkpoint, so opening a large log
/// does not re-hash the signed prefix. Never trusted: it is used only when its root equals the
/// latest signed checkpoint's and the bytes at its offset agree with it (AUDIT-LOG.md §5.4).
///
/// ```
/// hsmsync-log-state v1
/// size <n>
/// offset <byte offset of line n>
/// last <hex leaf hash of line n-1, or 64 zeros>
/// range <base64 subtree root>      one line per perfect subtree, left to right
/// ```
struct LogState: Hashable {
    var range: CompactRange
    var offset: Int64
    var lastLeaf: MerkleHash

    var size: UInt64 { range.size }

    var serialized: [UInt8] {
        var text = "hsmsync-log-state v1\nsize \(range.size)\noffset \(offset)\nlast \(lastLeaf.hex)\n"
        for hash in range.hashes { text += "range \(hash.base64)\n" }
        return Array(text.utf8)
    }

    init(range: CompactRange, offset: Int64, lastLeaf: MerkleHash) {
        self.range = range
        self.offset = offset
        self.lastLeaf = lastLeaf
    }

    /// Parses a state file; `nil` for anything unexpected (the caller then re-hashes).
    init?(parsing bytes: [UInt8]) {
        guard let text = String(validating: bytes, as: UTF8.self) else { return nil }
        let lines = text.split(separator: "\n")
        guard lines.first == "hsmsync-log-state v1", lines.count >= 4 else { return nil }
        func value(_ line: Substring, _ key: String) -> Substring? {
            line.hasPrefix(key + " ") ? line.dropFirst(key.count + 1) : nil
        }
        guard let sizeText = value(lines[1], "size"), let size = UInt64(sizeText),
            let offsetText = value(lines[2], "offset"), let offset = Int64(offsetText), offset >= 0,
            let lastText = value(lines[3], "last"), let last = MerkleHash(hex: lastText)
        else { return nil }
        var hashes: [MerkleHash] = []
        for line in lines.dropFirst(4) {
            guard let encoded = value(line, "range"), let hash = MerkleHash(base64: encoded) else { return nil }
            hashes.append(hash)
        }
        guard let range = CompactRange(size: size, hashes: hashes) else { return nil }
        self.init(range: range, offset: offset, lastLeaf: last)
    }
}
