import Foundation
import SignedLog
import Synchronization

/// The signed log as C2SP tlog-tiles, built from the on-disk log for the tree its latest
/// checkpoint commits to (so every tile served matches the checkpoint served beside it).
///
/// Rebuilt only when the checkpoint changes; the on-disk log stays the record.
final class TileCache: Sendable {
    private struct Tree {
        let directory: String
        let checkpoint: [UInt8]
        let size: UInt64
        /// Entries, each the exact line bytes (the Merkle leaves).
        let entries: [[UInt8]]
        /// `levels[h]` holds the hashes of the complete subtrees of 2^h leaves, in order.
        let levels: [[MerkleHash]]
    }

    private let tree = Mutex<Tree?>(nil)

    enum TileError: Error {
        case noLog
        case notFound
    }

    /// The latest checkpoint note, verbatim.
    func checkpoint(directory: String) throws -> [UInt8] {
        try current(directory).checkpoint
    }

    /// The bytes of one tile.
    func tile(_ path: TilePath, directory: String) throws -> [UInt8] {
        let tree = try current(directory)
        let width = UInt64(path.width ?? TilePath.fullWidth)
        let start = path.index * UInt64(TilePath.fullWidth)
        guard let level = path.level else {
            guard start + width <= tree.size else { throw TileError.notFound }
            var bundle: [UInt8] = []
            for entry in tree.entries[Int(start)..<Int(start + width)] {
                bundle += [UInt8(entry.count >> 8), UInt8(entry.count & 0xff)] + entry
            }
            return bundle
        }
        let height = level * 8
        guard height < tree.levels.count else { throw TileError.notFound }
        let hashes = tree.levels[height]
        guard start + width <= UInt64(hashes.count) else { throw TileError.notFound }
        return hashes[Int(start)..<Int(start + width)].flatMap(\.bytes)
    }

    private func current(_ directory: String) throws -> Tree {
        let checkpointPath = LogDirectory(path: directory).latestCheckpoint
        guard let checkpoint = FileManager.default.contents(atPath: checkpointPath).map(Array.init),
            let text = String(bytes: checkpoint, encoding: .utf8)
        else { throw TileError.noLog }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard lines.count > 2, let size = UInt64(lines[1]) else { throw TileError.noLog }
        if let cached = tree.withLock({ $0 }), cached.directory == directory, cached.checkpoint == checkpoint {
            return cached
        }
        let built = try build(directory: directory, checkpoint: checkpoint, size: size)
        tree.withLock { $0 = built }
        return built
    }

    private func build(directory: String, checkpoint: [UInt8], size: UInt64) throws -> Tree {
        guard let data = FileManager.default.contents(atPath: LogDirectory(path: directory).entries) else {
            throw TileError.noLog
        }
        var entries: [[UInt8]] = []
        entries.reserveCapacity(Int(size))
        var lineStart = data.startIndex
        for index in data.indices where data[index] == UInt8(ascii: "\n") {
            guard entries.count < Int(size) else { break }
            entries.append(Array(data[lineStart..<index]))
            lineStart = index + 1
        }
        guard entries.count == Int(size) else { throw TileError.noLog }
        var levels: [[MerkleHash]] = [entries.map { TreeHasher.leafHash($0) }]
        while let below = levels.last, below.count >= 2 {
            levels.append(
                stride(from: 0, to: below.count - 1, by: 2).map { TreeHasher.nodeHash(below[$0], below[$0 + 1]) })
        }
        return Tree(directory: directory, checkpoint: checkpoint, size: size, entries: entries, levels: levels)
    }
}
