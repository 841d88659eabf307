public import Foundation
public import HSMSyncModel

extension AuditLog {
    /// When the log signs checkpoints by itself.
    public enum CheckpointPolicy: Sendable, Hashable {
        /// Only when ``AuditLog/checkpoint()`` is called (after each ceremony step).
        case manual
        /// Also whenever `entries` entries are unsigned or `interval` has passed since the last
        /// checkpoint with entries unsigned (bulk sync: 1,000 entries or 1 s).
        case bulk(entries: Int = 1000, interval: Duration = .seconds(1))
    }

    /// How a log is opened.
    public struct Configuration: Sendable {
        public var checkpointPolicy: CheckpointPolicy
        /// The clock for entry times.
        public var clock: @Sendable () -> Date
        /// Where the last signed (size, root) is kept outside the log files (an HSM data object,
        /// the witnesses); the log refuses to sign anything that does not extend it.
        public var anchorStore: (any CheckpointAnchorStore)?
        /// Where this host keeps the last checkpoint it signed of each log (``LogHeadMarks/host``
        /// for hsmsync's commands); the log refuses to sign anything inconsistent with it. `nil`
        /// keeps no mark, for tests and tools that must not touch the host's state.
        public var headMarks: LogHeadMarks?
        /// Free bytes to keep on the log's file system; a write that would eat into it is refused.
        public var freeSpaceReserve: UInt64
        /// Asked before recovery cuts a torn tail or signs unsigned entries; `nil` accepts.
        public var confirmRecovery: (@Sendable (RecoveryReport) async -> Bool)?
        /// Recorded in `log.open`, e.g. `hsmsync 0.1.0`.
        public var toolVersion: String
        /// Failpoints for crash tests: called at each step of the write protocol.
        @_spi(Testing) public var faultInjection: (@Sendable (FaultPoint) -> Void)?

        public init(
            checkpointPolicy: CheckpointPolicy = .manual, clock: @escaping @Sendable () -> Date = { Date() },
            anchorStore: (any CheckpointAnchorStore)? = nil, headMarks: LogHeadMarks? = nil,
            freeSpaceReserve: UInt64 = 16 << 20, confirmRecovery: (@Sendable (RecoveryReport) async -> Bool)? = nil,
            toolVersion: String = "hsmsync"
        ) {
            self.checkpointPolicy = checkpointPolicy
            self.clock = clock
            self.anchorStore = anchorStore
            self.headMarks = headMarks
            self.freeSpaceReserve = freeSpaceReserve
            self.confirmRecovery = confirmRecovery
            self.toolVersion = toolVersion
            self.faultInjection = nil
        }
    }

    /// The steps of the write protocol (AUDIT-LOG.md §5) where a crash test may stop the process.
    @_spi(Testing) public enum FaultPoint: Sendable, Hashable {
        /// Half of an entry line written.
        case afterPartialWrite
        /// The line written, not yet `fdatasync`ed.
        case beforeDataSync
        /// The note's temporary file written and synced, not renamed.
        case beforeNoteRename
        /// The note renamed, its directory not yet synced.
        case beforeNoteDirectorySync
        /// The note durable; `checkpoint` and `state` not yet refreshed.
        case beforeLatestCopy
        /// Everything written; the anchor store not yet updated.
        case beforeAnchorUpdate
    }
}

/// An entry made durable.
public struct AppendReceipt: Hashable, Sendable {
    /// The entry's `seq` (its index).
    public let seq: UInt64
    /// Its leaf hash.
    public let leafHash: MerkleHash
}

/// A signed checkpoint written.
public struct CheckpointReceipt: Hashable, Sendable {
    public let size: UInt64
    public let rootHash: MerkleHash
    /// The signed note, as written to `checkpoints/<size>.note`.
    public let note: String

    package init(size: UInt64, rootHash: MerkleHash, note: String) {
        self.size = size
        self.rootHash = rootHash
        self.note = note
    }
}

/// A signed tree head kept outside the log files.
public struct TreeHead: Hashable, Sendable {
    public let size: UInt64
    public let rootHash: MerkleHash

    public init(size: UInt64, rootHash: MerkleHash) {
        self.size = size
        self.rootHash = rootHash
    }
}

/// Keeps the last signed (size, root) where deleting the log's files cannot reach it (a
/// `CKO_DATA` object on the log-key token, the witnesses), as Sunlight's lock backend does.
public protocol CheckpointAnchorStore: Sendable {
    /// The last stored head, or `nil` before the first checkpoint.
    func load() async throws -> TreeHead?
    /// Stores a new head; called after the checkpoint files are durable, before "committed".
    func store(_ head: TreeHead) async throws
}

/// What opening the log repaired or found unsigned.
public struct RecoveryReport: Hashable, Sendable {
    /// Bytes cut from the end of `entries.jsonl` (a torn write), 0 if none.
    public let truncatedBytes: Int64
    /// Where the cut bytes were saved.
    public let savedTo: String?
    /// The SHA-256 of the cut bytes.
    public let digest: AuditDigest?
    /// The last intact entry.
    public let lastGoodSeq: Int64
    /// Intact entries beyond the last checkpoint (signed by the recovery checkpoint).
    public let unsignedEntries: UInt64
    /// Why the tail was cut.
    public let reason: String?
}
