public import HSMSyncModel
import SignedLog

/// Why the fleet's audit log could not be opened or used.
public enum AuditTrailError: CategorizedError, Hashable {
    case logMissing(directory: String)
    case logHSMUnavailable(HSMError)
    case logKeyNotFound(hsm: String, label: String)
    case logKeyExists(hsm: String, label: String)
    case unsupportedLogKey(hsm: String, label: String, reason: String)
    case anchorUnreadable(label: String)

    public var category: FailureCategory {
        switch self {
        case .logMissing, .logKeyNotFound, .logKeyExists, .unsupportedLogKey: return .invalidInput
        case .logHSMUnavailable: return .runtime
        case .anchorUnreadable: return .integrity
        }
    }

    public var description: String {
        switch self {
        case .logMissing(let directory):
            return
                "the fleet's audit log \(directory) does not exist yet: create it with `hsmsync log init --fleet FLEET --origin ORIGIN`"
        case .logHSMUnavailable(let error):
            return "the audit log's key is on an HSM that cannot be used: \(error)"
        case .logKeyNotFound(let hsm, let label):
            return
                "\(hsm) holds no single key pair labelled \"\(label)\" for the audit log (create one with `hsmsync log keygen --fleet FLEET`)"
        case .logKeyExists(let hsm, let label):
            return "\(hsm) already holds an object labelled \"\(label)\"; nothing was generated"
        case .unsupportedLogKey(let hsm, let label, let reason):
            return "the log key \"\(label)\" on \(hsm) cannot be used: \(reason)"
        case .anchorUnreadable(let label):
            return "the log anchor \"\(label)\" cannot be read: refusing to sign the log"
        }
    }
}
