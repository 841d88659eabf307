import ArgumentParser
import HSMSyncCore
import HSMSyncModel
import SignedLog

/// The exit codes of DESIGN.md, for every command.
enum ExitStatus: Int32 {
    /// Success; for `audit`: parity.
    case success = 0
    /// Drift found, or an integrity failure.
    case driftOrIntegrityFailure = 1
    /// Invalid input or usage.
    case invalidInput = 2
    /// An HSM or runtime failure.
    case runtimeFailure = 3

    var exitCode: ExitCode { ExitCode(rawValue) }

    init(_ category: FailureCategory) {
        switch category {
        case .integrity: self = .driftOrIntegrityFailure
        case .invalidInput: self = .invalidInput
        case .runtime: self = .runtimeFailure
        }
    }

    /// The one place errors become exit codes.
    init(for error: any Error) {
        switch error {
        case let error as any CategorizedError:
            self.init(error.category)
        default:
            self = .runtimeFailure
        }
    }
}
