import Glibc
import HSMSyncModel

extension AuditLog {
    /// What lies beyond the signed prefix.
    struct Tail {
        /// Intact entries after the signed prefix (kept).
        var intactCount: UInt64 = 0
        /// Where the torn bytes start, if any.
        var tornOffset: Int64?
        var fileSize: Int64 = 0
        var reason: String?
    }

    /// Reads entries after `endOffset`, accepting each line that is complete, valid and chained;
    /// the first that is not starts the torn tail.
    func scanTail() throws -> Tail {
        var tail = Tail()
        let fd = try PosixFile.open(directory.entries, O_RDONLY)
        tail.fileSize = try PosixFile.size(fd, path: directory.entries)
        PosixFile.close(fd)
        guard tail.fileSize > endOffset else { return tail }
        var reader = try LineReader(path: directory.entries, offset: endOffset)
        var parser = StrictJSONParser()
        let originBytes = Array(origin.utf8)
        while let line = try reader.next() {
            let problem: String?
            var leaf = MerkleHash.zero
            switch line {
            case .complete(let bytes):
                let record = LineRecord.examine(bytes, origin: originBytes, parser: &parser)
                leaf = record.leafHash
                if let error = record.error {
                    problem = "entry \(range.size) does not parse (\(error))"
                } else if record.seq != Int64(range.size) {
                    problem = "entry \(range.size) has seq \(record.seq)"
                } else if record.prev != lastLeaf {
                    problem = "entry \(range.size) does not chain to the one before"
                } else if !record.logMatches {
                    problem = "entry \(range.size) belongs to another log"
                } else {
                    problem = nil
                }
            case .overlong:
                problem = "entry \(range.size) is longer than \(StrictJSONParser.maximumLineLength) bytes"
            case .unterminated(let length, _):
                problem = "\(length) byte(s) without a final newline"
            }
            if let problem {
                tail.tornOffset = reader.lineOffset
                tail.reason = problem
                break
            }
            range.append(leaf)
            lastLeaf = leaf
            endOffset = reader.offset
            tail.intactCount += 1
        }
        return tail
    }

    /// Saves the torn bytes to `recovery/torn-<time>.bin` (synced) and describes the recovery.
    func saveTornBytes(_ tail: Tail) throws -> RecoveryReport {
        let lastGoodSeq = Int64(range.size) - 1
        guard let tornOffset = tail.tornOffset else {
            return RecoveryReport(
                truncatedBytes: 0, savedTo: nil, digest: nil, lastGoodSeq: lastGoodSeq,
                unsignedEntries: range.size - signedHead.size, reason: nil)
        }
        let count = Int(tail.fileSize - tornOffset)
        let fd = try PosixFile.open(directory.entries, O_RDONLY)
        defer { PosixFile.close(fd) }
        var bytes = [UInt8](repeating: 0, count: count)
        let read = try bytes.withUnsafeMutableBytes { (raw) throws(LogIOError) in
            try PosixFile.read(fd, into: raw, at: tornOffset, path: directory.entries)
        }
        bytes.removeLast(count - read)
        try PosixFile.makeDirectory(directory.recovery, mode: 0o700, mayExist: true)
        // The entry clock's millisecond, as the entries around the torn bytes record it.
        let now = EntryTime(configuration.clock())
        let stamp = RFC3339.millisecondsWithoutColons.string(seconds: now.seconds, nanoseconds: now.nanoseconds)
        var name = "torn-\(stamp).bin"
        var attempt = 1
        while PosixFile.exists(directory.recovery + "/" + name) {
            attempt += 1
            name = "torn-\(stamp)-\(attempt).bin"
        }
        try bytes.withBytes { (raw) throws(LogIOError) in
            try PosixFile.createExclusively(directory.recovery + "/" + name, with: raw, mode: 0o600)
        }
        return RecoveryReport(
            truncatedBytes: Int64(bytes.count), savedTo: "recovery/" + name, digest: AuditDigest.sha256(of: bytes),
            lastGoodSeq: lastGoodSeq, unsignedEntries: range.size - signedHead.size, reason: tail.reason)
    }

    func cutTornBytes(_ tail: Tail) throws {
        guard let tornOffset = tail.tornOffset else { return }
        let fd = try PosixFile.open(directory.entries, O_WRONLY)
        defer { PosixFile.close(fd) }
        try PosixFile.truncate(fd, to: tornOffset, path: directory.entries)
        try PosixFile.sync(fd, path: directory.entries)
    }
}
