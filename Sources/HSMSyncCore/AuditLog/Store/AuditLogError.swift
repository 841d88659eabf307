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

    public var category: FailureCategory {
        switch self {
        case .damaged: .integrity
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
        }
    }
}
