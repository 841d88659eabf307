import Dispatch
import Glibc
import HSMSyncModel
import Synchronization

/// Streams `entries.jsonl` through ``LineRecord/examine(_:origin:parser:)`` on several threads
/// and hands the records, in file order, to a sequential consumer (the chain checks).
///
/// The calling thread only reads: blocks of about 2 MiB, cut after their last newline (the
/// partial line moves to the next block). Workers split the blocks into lines and examine them.
/// At most `threads + 1` blocks are in flight, so memory stays bounded whatever the log size; a
/// line longer than 4 MiB is hashed while it streams past, without being kept.
struct EntryPipeline {
    let path: String
    let origin: [UInt8]
    let threads: Int

    private static let blockBytes = 2 << 20
    private static let longestKeptLine = 4 << 20

    /// What a worker examines: lines of bytes, or a record made while reading (an over-long line).
    private enum Block: Sendable {
        case lines([UInt8])
        case record(LineRecord)
    }

    /// A block being examined: the worker leaves the records and signals.
    private final class Pending: Sendable {
        let done = DispatchSemaphore(value: 0)
        let records = Mutex<[LineRecord]>([])
    }

    /// Runs the pipeline; `consume` sees every complete line's record in order.
    /// - Returns: the length of a torn tail (bytes after the last newline), if any.
    func run(_ consume: (LineRecord) -> Void) throws(LogIOError) -> Int64? {
        if threads <= 1 {
            var reader = try LineReader(path: path)
            var parser = StrictJSONParser()
            while let line = try reader.next() {
                switch line {
                case .complete(let bytes): consume(LineRecord.examine(bytes, origin: origin, parser: &parser))
                case .overlong(let length, let leafHash):
                    consume(LineRecord.overlong(length: length, leafHash: leafHash))
                case .unterminated(let length, _): return length
                }
            }
            return nil
        }
        let fd = try PosixFile.open(path, O_RDONLY)
        defer { PosixFile.close(fd) }
        _ = posix_fadvise(fd, 0, 0, Int32(POSIX_FADV_SEQUENTIAL))
        var inFlight: [Pending] = []
        var carry: [UInt8] = []
        var endOfFile = false
        var torn: Int64?
        while !endOfFile || !inFlight.isEmpty {
            guard endOfFile || inFlight.count > threads else {
                let (block, reachedEnd) = try nextBlock(fd, carry: &carry, torn: &torn)
                endOfFile = reachedEnd
                if endOfFile && !carry.isEmpty { torn = Int64(carry.count) }
                if let block { inFlight.append(dispatch(block)) }
                continue
            }
            let oldest = inFlight.removeFirst()
            oldest.done.wait()
            let records = oldest.records.withLock { records in
                defer { records = [] }
                return records
            }
            for record in records { consume(record) }
        }
        return torn
    }

    /// Reads the next block: `carry` and about 2 MiB more, cut after the last newline (the rest
    /// becomes the new `carry`). A line that outgrows 4 MiB is streamed into a record.
    private func nextBlock(_ fd: Int32, carry: inout [UInt8], torn: inout Int64?) throws(LogIOError)
        -> (Block?, endOfFile: Bool)
    {
        var bytes = carry
        carry = []
        let wanted = bytes.count + Self.blockBytes
        var endOfFile = false
        while bytes.count < wanted && !endOfFile {
            endOfFile = try read(fd, into: &bytes, upTo: wanted)
        }
        guard let lastNewline = Self.lastNewline(in: bytes) else {
            if endOfFile {
                carry = bytes  // a torn tail
                return (nil, true)
            }
            if bytes.count < Self.longestKeptLine {
                carry = bytes
                return (nil, false)
            }
            return try streamLongLine(fd, start: bytes, carry: &carry, torn: &torn)
        }
        carry = Array(bytes[(lastNewline + 1)...])
        bytes.removeSubrange((lastNewline + 1)...)
        return (.lines(bytes), endOfFile)
    }

    /// Hashes a line too long to keep up to its newline; what follows the newline becomes `carry`.
    private func streamLongLine(_ fd: Int32, start: [UInt8], carry: inout [UInt8], torn: inout Int64?)
        throws(LogIOError) -> (Block?, endOfFile: Bool)
    {
        var hasher = StreamingLeafHasher()
        var length = Int64(start.count)
        start.withUnsafeBytes { hasher.update($0) }
        while true {
            var chunk: [UInt8] = []
            let endOfFile = try read(fd, into: &chunk, upTo: Self.blockBytes)
            if let newline = chunk.firstIndex(of: 0x0A) {
                chunk[..<newline].withUnsafeBytes { hasher.update($0) }
                length += Int64(newline)
                carry = Array(chunk[(newline + 1)...])
                return (.record(LineRecord.overlong(length: length, leafHash: hasher.finalize())), endOfFile)
            }
            chunk.withUnsafeBytes { hasher.update($0) }
            length += Int64(chunk.count)
            if endOfFile {
                torn = length  // a torn tail, never kept
                return (nil, true)
            }
        }
    }

    /// Appends what one `read` returns (up to `limit` bytes in total); returns whether the file ended.
    private func read(_ fd: Int32, into bytes: inout [UInt8], upTo limit: Int) throws(LogIOError) -> Bool {
        let room = limit - bytes.count
        guard room > 0 else { return false }
        var failure: Int32 = 0
        let chunk = [UInt8](unsafeUninitializedCapacity: room) { buffer, initialized in
            while true {
                let count = Glibc.read(fd, buffer.baseAddress!, room)
                if count < 0 && errno == EINTR { continue }
                if count < 0 { failure = errno }
                initialized = max(count, 0)
                return
            }
        }
        if failure != 0 { throw LogIOError("read", path: path, code: failure) }
        if bytes.isEmpty { bytes = chunk } else { bytes.append(contentsOf: chunk) }
        return chunk.isEmpty
    }

    /// The index of the last newline in `bytes` (scanning back: it is usually a line away).
    private static func lastNewline(in bytes: [UInt8]) -> Int? {
        bytes.withUnsafeBufferPointer { buffer in
            var index = buffer.count - 1
            while index >= 0 {
                if buffer[index] == 0x0A { return index }
                index -= 1
            }
            return nil
        }
    }

    private func dispatch(_ block: Block) -> Pending {
        let pending = Pending()
        let origin = self.origin
        DispatchQueue.global(qos: .userInitiated).async {
            pending.records.withLock { $0 = Self.examine(block, origin: origin) }
            pending.done.signal()
        }
        return pending
    }

    private static func examine(_ block: Block, origin: [UInt8]) -> [LineRecord] {
        switch block {
        case .record(let record):
            return [record]
        case .lines(let bytes):
            var parser = StrictJSONParser()
            var records: [LineRecord] = []
            records.reserveCapacity(bytes.count / 256)
            bytes.withUnsafeBytes { raw in
                var start = 0
                while start < raw.count {
                    let rest = raw.count - start
                    let found = memchr(raw.baseAddress! + start, 0x0A, rest)!
                    let length = UnsafeRawPointer(found) - (raw.baseAddress! + start)
                    records.append(
                        LineRecord.examine(
                            UnsafeRawBufferPointer(start: raw.baseAddress! + start, count: length), origin: origin,
                            parser: &parser))
                    start += length + 1
                }
            }
            return records
        }
    }
}
