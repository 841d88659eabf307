public import HSMSyncModel

/// Why the log refused or failed a write.
public enum AuditLogError: CategorizedError, Hashable, Sendable {
    /// The directory holds no log (`entries.jsonl` missing).
    case notALog(path: String)
    /// `log init` on a directory that already holds a log.
    case alreadyExists(path: String)
    /// Another process holds the writer lock.
    case locked(path: String)
    /// The signer's key is not the log's key.
    case keyMismatch(logKey: String, signerKey: String)
    /// An origin that is not a valid key name, or a signer named otherwise.
    case invalidOrigin(String)
    /// A draft the log cannot record.
    case invalidDraft(String)
    /// The entry would exceed the line limit.
    case entryTooLong(bytes: Int)
    /// The signed part of the log is damaged: nothing is written; run `hsmsync log verify`.
    case damaged(VerificationFinding)
    /// Not enough free space to write and keep the reserve (a clean refusal, nothing written).
    case insufficientSpace(path: String, available: UInt64, needed: UInt64)
    /// The signer produced a signature that does not verify with the log's vkey.
    case signatureDoesNotVerify(keyName: String)
    /// An earlier `write`/`fdatasync` failed; the log must be closed, reopened and recovered.
    case failed(reason: String)
    /// The log was closed.
    case closed
    /// The operator declined the recovery of a torn or unsigned tail.
    case recoveryDeclined
    /// This host signed a larger checkpoint of this log than the directory now holds: it was rolled
    /// back or replaced by an older copy. Nothing was signed.
    case rolledBack(markPath: String, markSize: UInt64, logSize: UInt64)
    /// The directory's first entries do not have the root of the checkpoint this host signed at
    /// that size: it holds another history. Nothing was signed.
    case forkedFromHeadMark(markPath: String, size: UInt64)
    /// `log init` for a key this host already signed checkpoints with: a second log under one key
    /// would sign checkpoints inconsistent with the first one's. Nothing was written.
    case headMarkExists(markPath: String, markSize: UInt64)
    /// The mark file is not a checkpoint of this log signed by its key.
    case headMarkUnusable(path: String, reason: String)

    public var category: FailureCategory {
        switch self {
        case .damaged, .rolledBack, .forkedFromHeadMark, .headMarkExists, .headMarkUnusable: .integrity
        case .notALog, .alreadyExists, .keyMismatch, .invalidOrigin, .invalidDraft, .entryTooLong: .invalidInput
        case .locked, .insufficientSpace, .signatureDoesNotVerify, .failed, .closed, .recoveryDeclined: .runtime
        }
    }

    public var description: String {
        switch self {
        case .notALog(let path): "\(path) is not an audit log (no entries.jsonl)"
        case .alreadyExists(let path): "\(path) already holds an audit log"
        case .locked(let path): "the log is locked by another writer (\(path))"
        case .keyMismatch(let logKey, let signerKey):
            "the signing key \(signerKey) is not the log's key \(logKey)"
        case .invalidOrigin(let reason): reason
        case .invalidDraft(let reason): "invalid entry: \(reason)"
        case .entryTooLong(let bytes):
            "the entry would be \(bytes) bytes, more than \(StrictJSONParser.maximumLineLength)"
        case .damaged(let finding):
            "the signed part of the log is damaged, nothing was written: \(finding.class.rawValue)"
                + (finding.index.map { " at entry \($0)" } ?? "")
                + (finding.checkpoint.map { " (checkpoint \($0))" } ?? "")
                + ": \(finding.message); run `hsmsync log verify`"
        case .insufficientSpace(let path, let available, let needed):
            "not enough free space for the log at \(path): \(available) bytes available, \(needed) needed with the reserve"
        case .signatureDoesNotVerify(let keyName):
            "the signature made by \(keyName) does not verify with the log's vkey; nothing was written"
        case .failed(let reason):
            "the log failed earlier (\(reason)); close it and open it again to recover"
        case .closed: "the log is closed"
        case .recoveryDeclined: "recovery was declined; the log was not changed"
        case .rolledBack(let markPath, let markSize, let logSize):
            "refusing to sign: this host already signed checkpoint \(markSize) of this log (head mark \(markPath)), "
                + "but the log directory holds \(logSize) entr\(logSize == 1 ? "y" : "ies"): it was rolled back or "
                + "replaced by an older copy. Nothing was signed; restore the newer copy (see \"Head marks\" in "
                + "docs/audit-log.md)"
        case .forkedFromHeadMark(let markPath, let size):
            "refusing to sign: the log's first \(size) entries do not have the root of checkpoint \(size) that this "
                + "host signed (head mark \(markPath)): the directory holds another history, a fork. Nothing was "
                + "signed; run `hsmsync log verify --trusted-checkpoint \(markPath)`"
        case .headMarkExists(let markPath, let markSize):
            "this host already signed checkpoint \(markSize) with this log key (head mark \(markPath)): a new log "
                + "needs a new origin and key. Nothing was written"
        case .headMarkUnusable(let path, let reason):
            "the head mark \(path) is not a checkpoint of this log signed by its key (\(reason)): refusing to sign"
        }
    }
}
