/// Throwaway tokens could not be set up.
public enum ScratchError: Error, CustomStringConvertible, CategorizedError {
    case serverFailed(String)
    case setupFailed(String)

    public var description: String {
        switch self {
        case .serverFailed(let reason): return "scratch HSM: \(reason)"
        case .setupFailed(let reason): return "scratch HSM: \(reason)"
        }
    }

    public var category: FailureCategory { .runtime }
}
