/// Why a transport key could not be created, installed, agreed or confirmed.
///
/// Messages name HSMs, labels, files, attributes and public check values; never a key, a share or a PIN.
public enum TransportError: CategorizedError, Hashable {
    // MARK: Invalid input (exit 2): nothing was changed

    /// The threshold or share count is outside what policy (M ≥ 2) or SLIP-0039 (N ≤ 16) allows.
    case invalidShareParameters(String)
    /// The HSM already holds an object with the transport label; hsmsync never replaces one.
    case labelInUse(hsm: String, label: String, objects: Int, detail: String?)
    /// An output file (a share file) already exists; hsmsync never overwrites one.
    case outputExists(path: String)
    /// An output directory is missing or not a directory.
    case outputDirectoryUnusable(path: String, reason: String)
    /// A share file cannot be read, or is not a plausible share file.
    case shareFileUnreadable(path: String, reason: String)
    /// The shares hold a secret that is not a 256-bit key.
    case notAnAES256Key(bits: Int)
    /// `--from` and `--to` name the same HSM, or an HSM is not in the fleet.
    case invalidHSMSelection(String)
    /// A share (from a file or the prompt, named by `source`) was refused; nothing was imported.
    case shareRefused(source: String, reason: String)

    // MARK: Integrity (exit 1)

    /// A peer's ephemeral public point failed validation; nothing was derived with it.
    case invalidPeerPoint(hsm: String, reason: String)
    /// The two HSMs derived keys with different check values; nothing remains installed.
    case keyConfirmationFailed(from: String, fromCheckValue: String, to: String, toCheckValue: String)
    /// The key read back from the HSM is not the one imported (check value) or breaks the policy;
    /// the object hsmsync had just created was destroyed (``compensation``).
    case installVerificationFailed(hsm: String, problems: [String], compensation: String)

    // MARK: Runtime (exit 3)

    /// The token lacks a mechanism (or a flag or key size) the operation needs; nothing was changed.
    case capabilityMissing(hsm: String, reason: String)
    /// A PKCS#11 call failed while doing `operation`; ``compensation`` says what was undone.
    case hsmFailure(hsm: String, operation: String, error: DeviceError, compensation: String?)
    /// A file could not be written or synced; files written by this run were removed.
    case outputFailed(path: String, reason: String)
    /// The host could not do its part (an RSA encryption, a check value).
    case hostFailure(String)

    public var category: FailureCategory {
        switch self {
        case .invalidShareParameters, .labelInUse, .outputExists, .outputDirectoryUnusable, .shareFileUnreadable,
            .notAnAES256Key, .invalidHSMSelection, .shareRefused:
            return .invalidInput
        case .invalidPeerPoint, .keyConfirmationFailed, .installVerificationFailed:
            return .integrity
        case .capabilityMissing, .hsmFailure, .outputFailed, .hostFailure:
            return .runtime
        }
    }

    public var description: String {
        switch self {
        case .invalidShareParameters(let reason):
            return reason
        case .labelInUse(let hsm, let label, let objects, let detail):
            let what = objects == 1 ? "an object" : "\(objects) objects"
            return "\(hsm): \(what) with the transport label \"\(label)\" already exist\(objects == 1 ? "s" : "")"
                + (detail.map { " (\($0))" } ?? "")
                + "; hsmsync never replaces a transport key: nothing was changed (rotate it deliberately, see "
                + "docs/transport-key.md)"
        case .outputExists(let path):
            return "\(path) already exists; hsmsync never overwrites a share file: nothing was changed"
        case .outputDirectoryUnusable(let path, let reason):
            return "\(path): \(reason); nothing was changed"
        case .shareFileUnreadable(let path, let reason):
            return "\(path): \(reason)"
        case .notAnAES256Key(let bits):
            return "the shares hold a \(bits)-bit secret, but a transport key is a 256-bit AES key: these are not "
                + "transport key shares; nothing was imported"
        case .invalidHSMSelection(let reason):
            return reason
        case .shareRefused(let source, let reason):
            return "\(source): \(reason); nothing was imported"
        case .invalidPeerPoint(let hsm, let reason):
            return "\(hsm): its ephemeral public key was refused before any derivation: \(reason)"
        case .keyConfirmationFailed(let from, let fromValue, let to, let toValue):
            return "key confirmation failed: \(from) derived check value \(fromValue), \(to) derived \(toValue); "
                + "the agreed keys differ and nothing was installed"
        case .installVerificationFailed(let hsm, let problems, let compensation):
            return "\(hsm): the installed transport key did not verify: \(problems.joined(separator: "; ")); "
                + compensation
        case .capabilityMissing(let hsm, let reason):
            return "\(hsm): \(reason); nothing was changed"
        case .hsmFailure(let hsm, let operation, let error, let compensation):
            return "\(hsm): \(operation): \(error)" + (compensation.map { "; \($0)" } ?? "")
        case .outputFailed(let path, let reason):
            return "\(path): \(reason)"
        case .hostFailure(let reason):
            return reason
        }
    }
}
