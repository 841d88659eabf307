public import HSMSyncModel

/// Why a witness refused to cosign.
public enum WitnessError: CategorizedError, Hashable, Sendable {
    /// The log's latest checkpoint is smaller than what the witness cosigned before.
    case rollback(origin: String, cosigned: UInt64, offered: UInt64)
    /// Same size, another root than the witness cosigned: a fork.
    case fork(origin: String, size: UInt64, cosigned: String, offered: String)
    /// The entries do not prove the new checkpoint extends the old one.
    case inconsistent(origin: String, from: UInt64, to: UInt64, reason: String)
    /// The checkpoint is not validly signed by the log key.
    case badLogSignature(reason: String)
    /// The log key differs from the one the witness pinned at first use.
    case logKeyChanged(pinned: String, offered: String)
    /// The witness key is not a cosignature key.
    case notAWitnessKey(path: String)
    /// The log is being written; try again.
    case logBusy(path: String)
    /// The note already carries the most signatures hsmsync writes.
    case tooManySignatures(size: UInt64)

    public var category: FailureCategory {
        switch self {
        case .rollback, .fork, .inconsistent, .badLogSignature: .integrity
        case .logKeyChanged, .notAWitnessKey: .invalidInput
        case .logBusy, .tooManySignatures: .runtime
        }
    }

    public var description: String {
        switch self {
        case .rollback(let origin, let cosigned, let offered):
            "refusing a rollback of \(origin): this witness cosigned size \(cosigned), the log offers \(offered)"
        case .fork(let origin, let size, let cosigned, let offered):
            "refusing a fork of \(origin) at size \(size): this witness cosigned root \(cosigned), the log offers \(offered)"
        case .inconsistent(let origin, let from, let to, let reason):
            "refusing: \(origin) at size \(to) is not a consistent extension of size \(from) (\(reason))"
        case .badLogSignature(let reason): "refusing: the checkpoint \(reason)"
        case .logKeyChanged(let pinned, let offered):
            "the log key \(offered) is not the key this witness pinned: \(pinned)"
        case .notAWitnessKey(let path):
            "\(path) is not a witness (cosignature, 0x04) key; make one with log keygen --witness"
        case .logBusy(let path): "the log is being written (\(path) is locked); try again"
        case .tooManySignatures(let size):
            "checkpoint \(size) already carries \(SignedNote.maximumWrittenSignatureCount) signatures"
        }
    }
}
