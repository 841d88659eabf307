public import HSMSyncModel
import SecureMemory
import SignedLog

/// Why a ceremony stopped or could not start. Messages name steps, HSMs, labels and people; never
/// a share, a PIN or key material.
public enum CeremonyError: CategorizedError {
    /// A step uses an action this build cannot execute (validation refuses the whole ceremony).
    case actionUnavailable(step: String, path: String, action: String, reason: String)
    /// The live fleet does not allow the plan (a label in use, a key missing, …); nothing was changed.
    case planRefused(problems: [String])
    /// A person declined a confirmation or typed something else.
    case notConfirmed(step: String, person: String, reason: String)
    /// An input file of `--inputs` is missing or unreadable.
    case inputMissing(step: String, path: String)
    /// A step failed on an HSM or in a check; `cause` keeps the category.
    case stepFailed(step: String, reason: String, category: FailureCategory)
    /// `--resume` was asked for but there is nothing to resume, or the script changed.
    case cannotResume(String)
    /// A run of this ceremony is unfinished: resume it or close it out first.
    case unfinishedRun(run: String, statePath: String)
    /// The log failed verification (transcript, resume).
    case logInvalid(String)
    /// Other invalid input (the fleet has no log, an output file exists, …).
    case invalid(String)

    public var category: FailureCategory {
        switch self {
        case .actionUnavailable, .planRefused, .notConfirmed, .inputMissing, .cannotResume, .unfinishedRun, .invalid:
            return .invalidInput
        case .stepFailed(_, _, let category): return category
        case .logInvalid: return .integrity
        }
    }

    public var description: String {
        switch self {
        case .actionUnavailable(let step, let path, let action, let reason):
            return "\(path) (step \(step)): action \(action) cannot run: \(reason); nothing was touched"
        case .planRefused(let problems):
            return "the plan cannot be carried out on the live fleet (nothing was changed):\n  - "
                + problems.joined(separator: "\n  - ")
        case .notConfirmed(let step, let person, let reason):
            return "step \(step): \(person) did not confirm (\(reason))"
        case .inputMissing(let step, let path):
            return "step \(step): the input file \(path) is missing or unreadable"
        case .stepFailed(let step, let reason, _):
            return "step \(step) failed: \(reason)"
        case .cannotResume(let reason):
            return "cannot resume: \(reason)"
        case .unfinishedRun(let run, let statePath):
            return "run \(run) of this ceremony did not finish (\(statePath)): continue it with --resume"
        case .logInvalid(let reason):
            return "the log does not verify: \(reason)"
        case .invalid(let reason):
            return reason
        }
    }
}
