public import HSMSyncModel
import SignedLog

/// Throwaway tokens could not be set up.
public enum ScratchError: Error, CustomStringConvertible, CategorizedError {
    case setupFailed(String)

    public var description: String {
        switch self {
        case .setupFailed(let reason): return "scratch HSM: \(reason)"
        }
    }

    public var category: FailureCategory { .runtime }
}
