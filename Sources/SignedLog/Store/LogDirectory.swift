import HSMSyncModel

/// The on-disk layout of a log (AUDIT-LOG.md §3); this directory is what an auditor receives.
///
/// ```
/// log.vkey                                     the log key's vkey, one line
/// entries.jsonl                                one entry per line; leaf i = line i without "\n"
/// checkpoints/<20-digit zero-padded size>.note every signed checkpoint, kept
/// checkpoint                                   the latest checkpoint, with cosignatures
/// policy                                       optional tlog-policy
/// state                                        NOT trusted: size, root, compact range at the last checkpoint
/// LOCK, recovery/                              the writer's flock; torn bytes saved by recovery
/// ```
public struct LogDirectory: Hashable, Sendable {
    /// The directory.
    public let path: String

    public init(path: String) {
        var path = path
        while path.count > 1 && path.hasSuffix("/") { path.removeLast() }
        self.path = path
    }

    public var vkey: String { path + "/log.vkey" }
    public var entries: String { path + "/entries.jsonl" }
    public var checkpoints: String { path + "/checkpoints" }
    public var latestCheckpoint: String { path + "/checkpoint" }
    public var policy: String { path + "/policy" }
    public var state: String { path + "/state" }
    public var lock: String { path + "/LOCK" }
    public var recovery: String { path + "/recovery" }

    /// `checkpoints/<size zero-padded to 20 digits>.note`.
    public func checkpointNote(size: UInt64) -> String {
        checkpoints + "/" + Self.noteName(size: size)
    }

    /// The file name of the checkpoint of `size`.
    public static func noteName(size: UInt64) -> String {
        let digits = String(size)
        return String(repeating: "0", count: 20 - digits.count) + digits + ".note"
    }

    /// The size a checkpoint file name stands for: exactly twenty digits and `.note`.
    public static func size(fromNoteName name: String) -> UInt64? {
        let utf8 = Array(name.utf8)
        guard utf8.count == 25, name.hasSuffix(".note"), utf8[0..<20].allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else {
            return nil
        }
        return UInt64(String(decoding: utf8[0..<20], as: UTF8.self))
    }
}
