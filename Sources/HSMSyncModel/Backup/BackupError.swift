/// Why a backup could not be made, or a bundle was refused for a restore or drill.
///
/// Messages name HSMs, labels, files and public check values; never a key, a share or a PIN.
public enum BackupError: CategorizedError, Hashable {
    // MARK: Invalid input (exit 2): nothing was changed

    /// The output file exists; bundles are never overwritten.
    case outputExists(path: String)
    /// The named HSM is not in the fleet.
    case unknownHSM(name: String, fleet: String, known: [String])
    /// The target of a restore is the fleet's primary (SECURITY.md R22).
    case targetIsPrimary(hsm: String)
    /// No key to sign bundles with, or no verifier key to check them against.
    case noSigningKey(String)
    /// The verifier key file cannot be used.
    case verifierKeyUnusable(path: String, reason: String)

    // MARK: Integrity (exit 1)

    /// The bundle was made for another fleet.
    case otherFleet(bundle: String, fleet: String)
    /// The target's backup key is not the key the bundle's keys are wrapped under.
    case backupKeyMismatch(hsm: String, label: String, bundle: String, target: String)

    // MARK: Runtime (exit 3)

    /// The backup key is missing, ambiguous or breaks the KEK rules on an HSM.
    case backupKeyUnusable(hsm: String, label: String, reason: String)
    /// A PKCS#11 call failed; ``detail`` says what was done and what was undone.
    case hsmFailure(hsm: String, operation: String, detail: String)
    /// The bundle could not be written.
    case outputFailed(path: String, reason: String)

    public var category: FailureCategory {
        switch self {
        case .outputExists, .unknownHSM, .targetIsPrimary, .noSigningKey, .verifierKeyUnusable:
            return .invalidInput
        case .otherFleet, .backupKeyMismatch:
            return .integrity
        case .backupKeyUnusable, .hsmFailure, .outputFailed:
            return .runtime
        }
    }

    public var description: String {
        switch self {
        case .outputExists(let path):
            return "\(path) already exists; hsmsync never overwrites a bundle: nothing was done"
        case .unknownHSM(let name, let fleet, let known):
            return "the fleet \(fleet) has no HSM called \(name) (its HSMs: \(known.joined(separator: ", ")))"
        case .targetIsPrimary(let hsm):
            return "\(hsm) is a primary: a backup is never restored into the authoritative HSM (SECURITY.md R22); "
                + "nothing was changed"
        case .noSigningKey(let reason):
            return reason
        case .verifierKeyUnusable(let path, let reason):
            return "verifier key \(path): \(reason)"
        case .otherFleet(let bundle, let fleet):
            return "the bundle belongs to fleet \"\(bundle)\", not \"\(fleet)\"; refused, nothing was changed"
        case .backupKeyMismatch(let hsm, let label, let bundle, let target):
            return "\(hsm): the backup key \"\(label)\" has check value \(target), the bundle's keys are wrapped "
                + "under a key with check value \(bundle); refused, nothing was changed (load the right key from "
                + "the custodians' shares first: docs/runbooks/restore-secondary.md)"
        case .backupKeyUnusable(let hsm, let label, let reason):
            return "\(hsm): the backup key \"\(label)\" cannot be used: \(reason); nothing was wrapped"
        case .hsmFailure(let hsm, let operation, let detail):
            return "\(hsm): \(operation): \(detail)"
        case .outputFailed(let path, let reason):
            return "\(path): \(reason)"
        }
    }
}
