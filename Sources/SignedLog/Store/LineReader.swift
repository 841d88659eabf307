import Glibc
import HSMSyncModel

/// Reads `entries.jsonl` front to back in large chunks and hands out its lines, with their byte
/// offsets, without copying (a line that straddles two chunks is copied once). Memory stays
/// bounded whatever the file size: a line longer than ``StrictJSONParser/maximumLineLength`` is
/// not kept; its leaf hash and length are computed while it streams past.
package struct LineReader: ~Copyable {
    /// One line of the file.
    package enum Line {
        /// A line ending in `\n`: its bytes without the newline (valid until the next call).
        case complete(UnsafeRawBufferPointer)
        /// A line ending in `\n` that is too long to keep: its length and leaf hash.
        case overlong(length: Int64, leafHash: MerkleHash)
        /// Bytes after the last `\n` (a torn tail): their length (the bytes are not kept).
        case unterminated(length: Int64, leafHash: MerkleHash)
    }

    private let fd: Int32
    private let path: String
    private let buffer: UnsafeMutableRawBufferPointer
    /// Valid bytes are `buffer[start..<end]`.
    private var start = 0
    private var end = 0
    private var atEOF = false
    /// The file offset of `buffer[start]`.
    private(set) var offset: Int64
    /// The file offset where the line last returned begins.
    private(set) var lineOffset: Int64 = 0

    private static let chunkSize = 4 << 20

    /// Opens `path` and positions at `offset`.
    package init(path: String, offset: Int64 = 0) throws(LogIOError) {
        let fd = try PosixFile.open(path, O_RDONLY)
        if offset > 0 && lseek(fd, off_t(offset), SEEK_SET) < 0 {
            let error = LogIOError("lseek", path: path)
            PosixFile.close(fd)
            throw error
        }
        _ = posix_fadvise(fd, 0, 0, Int32(POSIX_FADV_SEQUENTIAL))
        self.fd = fd
        self.path = path
        self.offset = offset
        buffer = UnsafeMutableRawBufferPointer.allocate(
            byteCount: Self.chunkSize + StrictJSONParser.maximumLineLength + 1, alignment: 64)
    }

    deinit {
        buffer.deallocate()
        PosixFile.close(fd)
    }

    /// Moves the unread bytes to the front and reads more; returns `false` at end of file.
    private mutating func refill() throws(LogIOError) -> Bool {
        guard !atEOF else { return false }
        if start > 0 {
            let count = end - start
            if count > 0 { buffer.baseAddress!.copyMemory(from: buffer.baseAddress! + start, byteCount: count) }
            start = 0
            end = count
        }
        while end < buffer.count {
            let count = read(fd, buffer.baseAddress! + end, min(buffer.count - end, Self.chunkSize))
            if count < 0 {
                if errno == EINTR { continue }
                throw LogIOError("read", path: path)
            }
            if count == 0 {
                atEOF = true
                break
            }
            end += count
            if count > 0 { return true }
        }
        return end > start
    }

    /// The next line, or `nil` at end of file.
    package mutating func next() throws(LogIOError) -> Line? {
        while true {
            if let found = memchr(buffer.baseAddress! + start, 0x0A, end - start) {
                let length = UnsafeRawPointer(found) - UnsafeRawPointer(buffer.baseAddress! + start)
                let line = UnsafeRawBufferPointer(start: buffer.baseAddress! + start, count: length)
                lineOffset = offset
                start += length + 1
                offset += Int64(length + 1)
                return .complete(line)
            }
            let available = UnsafeRawBufferPointer(rebasing: buffer[start..<end])
            if available.count > StrictJSONParser.maximumLineLength {
                return try streamLongLine()
            }
            if try !refill() {
                guard end > start else { return nil }
                let rest = UnsafeRawBufferPointer(rebasing: buffer[start..<end])
                lineOffset = offset
                let hash = TreeHasher.leafHash(rest)
                offset += Int64(rest.count)
                start = end
                return .unterminated(length: Int64(rest.count), leafHash: hash)
            }
        }
    }

    /// Hashes a line too long to hold, up to its newline or the end of the file.
    private mutating func streamLongLine() throws(LogIOError) -> Line {
        lineOffset = offset
        var hasher = StreamingLeafHasher()
        var length: Int64 = 0
        while true {
            let available = UnsafeRawBufferPointer(rebasing: buffer[start..<end])
            if let newline = available.firstIndex(of: 0x0A) {
                let part = UnsafeRawBufferPointer(rebasing: available[..<newline])
                hasher.update(part)
                length += Int64(part.count)
                let consumed = newline + 1 - available.startIndex
                start += consumed
                offset += Int64(consumed)
                return .overlong(length: length, leafHash: hasher.finalize())
            }
            hasher.update(available)
            length += Int64(available.count)
            offset += Int64(available.count)
            start = end
            if try !refill() {
                return .unterminated(length: length, leafHash: hasher.finalize())
            }
        }
    }
}
