import Dispatch
import Synchronization

/// Streams `entries.jsonl` through ``LineRecord/examine(_:origin:parser:)`` on several threads
/// and hands the records, in file order, to a sequential consumer (the chain checks).
///
/// The calling thread reads lines and packs them into blocks of about 2 MiB; each block is
/// examined on a worker; at most `threads + 1` blocks are in flight, so memory stays bounded
/// (about 3 MiB per block with its records) whatever the log size.
struct EntryPipeline {
    let path: String
    let origin: [UInt8]
    let threads: Int

    private static let blockBytes = 2 << 20

    /// A line of a block: its bytes in the block, or a record made while reading (an overlong line).
    private enum Item: Sendable {
        case line(start: Int, count: Int)
        case record(LineRecord)
    }

    private struct Block: Sendable {
        var bytes: [UInt8] = []
        var items: [Item] = []
    }

    /// A block being examined: the worker leaves the records and signals.
    private final class Pending: Sendable {
        let done = DispatchSemaphore(value: 0)
        let records = Mutex<[LineRecord]>([])
    }

    /// Runs the pipeline; `consume` sees every complete line's record in order.
    /// - Returns: the length of a torn tail (bytes after the last newline), if any.
    func run(_ consume: (LineRecord) -> Void) throws(LogIOError) -> Int64? {
        var reader = try LineReader(path: path)
        if threads <= 1 {
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
        var inFlight: [Pending] = []
        var torn: Int64?
        var finished = false
        while !finished || !inFlight.isEmpty {
            if !finished && inFlight.count <= threads {
                var block = Block()
                block.bytes.reserveCapacity(Self.blockBytes + StrictJSONParser.maximumLineLength + 1)
                while block.bytes.count < Self.blockBytes {
                    guard let line = try reader.next() else {
                        finished = true
                        break
                    }
                    switch line {
                    case .complete(let bytes):
                        block.items.append(.line(start: block.bytes.count, count: bytes.count))
                        block.bytes.append(contentsOf: bytes)
                    case .overlong(let length, let leafHash):
                        block.items.append(.record(LineRecord.overlong(length: length, leafHash: leafHash)))
                    case .unterminated(let length, _):
                        torn = length
                        finished = true
                    }
                    if finished { break }
                }
                let pending = Pending()
                inFlight.append(pending)
                let origin = self.origin
                DispatchQueue.global(qos: .userInitiated).async { [block] in
                    pending.records.withLock { $0 = Self.examine(block, origin: origin) }
                    pending.done.signal()
                }
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

    private static func examine(_ block: Block, origin: [UInt8]) -> [LineRecord] {
        var parser = StrictJSONParser()
        var records: [LineRecord] = []
        records.reserveCapacity(block.items.count)
        block.bytes.withUnsafeBytes { bytes in
            for item in block.items {
                switch item {
                case .line(let start, let count):
                    records.append(
                        LineRecord.examine(
                            UnsafeRawBufferPointer(rebasing: bytes[start..<start + count]), origin: origin,
                            parser: &parser))
                case .record(let record):
                    records.append(record)
                }
            }
        }
        return records
    }
}
