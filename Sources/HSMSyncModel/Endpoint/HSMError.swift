/// A failure reaching or using one HSM of the fleet; the message always names the HSM.
public struct HSMError: CategorizedError, Hashable {
    /// The HSM's fleet name.
    public let hsm: String
    public let kind: Kind

    public init(hsm: String, _ kind: Kind) {
        self.hsm = hsm
        self.kind = kind
    }

    /// What went wrong.
    public enum Kind: Hashable, Sendable {
        /// The module could not be loaded or initialised (the loader's or the module's words).
        case moduleNotLoadable(reason: String)
        /// The module answered, but with no slots at all: a p11-kit server that is not running
        /// looks exactly like this. Never read as "an empty HSM".
        case unreachable(reason: String)
        /// Slots exist, but no initialised token matches the URI.
        case tokenNotFound(uri: String, tokensSeen: [String], unreadable: [String])
        /// More than one token matches the URI: the fleet file must be more specific.
        case tokenAmbiguous(uri: String, labels: [String])
        /// Two fleet entries resolve to the same token.
        case sameTokenAs(other: String, serial: String)
        /// The token flags say the user PIN is locked.
        case pinLocked
        /// The token flags say one more wrong PIN locks it; refused unless explicitly allowed.
        case pinFinalTry
        /// The token's user PIN is not initialised (SoftHSM2 after a re-initialisation).
        case userPINNotInitialized
        /// `C_Login` failed (exactly one attempt was made).
        case loginFailed(DeviceError)
        /// `C_Login` refused the PIN (`CKR_PIN_INCORRECT`) read from `source` (as the fleet file
        /// names it: `file:…`, `env:…`, `prompt`; never the PIN). Exactly one attempt was made.
        case pinRefused(source: String)
        /// The PIN source could not deliver (its words, which never contain the PIN).
        case pinUnavailable(reason: String)
        /// A call to the HSM failed while doing `operation`.
        case device(DeviceError, operation: String)
        /// The worker was used before it was opened, or after it was closed.
        case notOpen
        /// The last scan found no object, or several, with this identity.
        case objectNotUnique(identity: String, count: Int)
        /// Another process opened the token to change it and holds its lock (``TokenLock``).
        case tokenLocked(holder: String, path: String)
        /// The token's lock file could not be created or locked.
        case tokenLockUnavailable(path: String, reason: String)
    }

    public var category: FailureCategory {
        switch kind {
        case .tokenAmbiguous, .sameTokenAs, .pinUnavailable:
            return .invalidInput
        default:
            return .runtime
        }
    }

    /// Whether another hsmsync process holds the token's lock.
    public var isTokenLocked: Bool {
        if case .tokenLocked = kind { return true }
        return false
    }

    /// Whether the HSM could not be reached at all (as opposed to reached and refusing).
    public var isUnreachable: Bool {
        switch kind {
        case .moduleNotLoadable, .unreachable, .tokenNotFound:
            return true
        case .device(let error, _), .loginFailed(let error):
            return error.isDeviceLoss
        default:
            return false
        }
    }

    public var description: String {
        "\(hsm): \(reason)"
    }

    /// How the HSM stands, in one word: `unreachable` (not reached at all), `pin-refused` (reached,
    /// and the PIN was refused), `failed` (reached, and something else went wrong).
    public var state: String {
        if isUnreachable { return "unreachable" }
        if case .pinRefused = kind { return "pin-refused" }
        return "failed"
    }

    /// What the operator should do, where the error says more than "check the HSM and the network".
    public var nextStep: String? {
        switch kind {
        case .pinRefused(let source):
            return
                "Put this token's user PIN in \(source) (the fleet file's pin: for \(hsm)), then run again; hsmsync "
                + "tries a PIN once per run and never retries it. Every other HSM was still processed."
        case .pinLocked, .userPINNotInitialized:
            return "Have the token's security officer set or unlock the user PIN, then run again."
        case .pinFinalTry:
            return "Make sure the PIN source holds the right PIN, then run again with the last attempt allowed."
        case .pinUnavailable:
            return "Fix the PIN source named above (the fleet file's pin: for \(hsm)), then run again."
        case .tokenLocked:
            return "Wait for the other hsmsync process to finish, then run again."
        default:
            return nil
        }
    }

    /// The message without the HSM name.
    public var reason: String {
        switch kind {
        case .moduleNotLoadable(let reason):
            return reason
        case .unreachable(let reason):
            return "HSM unreachable: \(reason)"
        case .tokenNotFound(let uri, let seen, let unreadable):
            let list = seen.isEmpty ? "none" : seen.map { "\"\($0)\"" }.joined(separator: ", ")
            let skipped =
                unreadable.isEmpty ? "" : "; slots that could not be read: \(unreadable.joined(separator: ", "))"
            return "no token matches \(uri) (initialised tokens seen: \(list)\(skipped))"
        case .tokenAmbiguous(let uri, let labels):
            return
                "\(labels.count) tokens match \(uri) (\(labels.joined(separator: ", "))); add serial= to select exactly one"
        case .sameTokenAs(let other, let serial):
            return "selects the same token as \(other) (serial \(serial)); each fleet HSM must be a different token"
        case .pinLocked:
            return "the token reports its user PIN locked (CKF_USER_PIN_LOCKED); no login attempted"
        case .pinFinalTry:
            return "the token reports one PIN attempt left (CKF_USER_PIN_FINAL_TRY); no login attempted"
        case .userPINNotInitialized:
            return "the token has no user PIN (re-initialised?); no login attempted"
        case .loginFailed(let error):
            if error.isPINIncorrect {
                return "login failed: the PIN was refused (\(error)); one attempt was made, none will be retried"
            }
            return "login failed: \(error)"
        case .pinRefused(let source):
            return
                "the token refused the PIN from \(source) (CKR_PIN_INCORRECT); one attempt was made, none will be retried"
        case .pinUnavailable(let reason):
            return reason
        case .device(let error, let operation):
            return "\(operation): \(error)"
        case .notOpen:
            return "internal error: the HSM worker is not open"
        case .objectNotUnique(let identity, let count):
            return count == 0 ? "\(identity) was not found by the last scan" : "\(count) objects are \(identity)"
        case .tokenLocked(let holder, let path):
            return
                "the token is being changed by another hsmsync process (\(holder); lock \(path)); "
                + "nothing was changed: run again when it has finished"
        case .tokenLockUnavailable(let path, let reason):
            return "the token's lock \(path) cannot be used (\(reason)); nothing was changed"
        }
    }
}
