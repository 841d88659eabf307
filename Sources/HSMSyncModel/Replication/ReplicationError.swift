/// Why replicating one key failed or was refused. Never carries key material.
public enum ReplicationError: CategorizedError, Sendable, Hashable {
    /// The key cannot be replicated by hsmsync (class, type, unreadable attribute, `CKA_TRUSTED`).
    case unsupportedKey(String, reason: String)
    /// An HSM's transport key may not be used (R1, R2), named with the problem.
    case transportKeyRefused(hsm: String, problems: [String])
    /// The two HSMs' transport keys differ (or one has no check value): nothing is wrapped.
    case transportKeysDiffer(
        source: String, sourceCheckValue: String?, destination: String, destinationCheckValue: String?)
    /// The envelope failed verification before unwrapping (tampered, truncated, inconsistent).
    case envelopeInvalid(String)
    /// The key is refused by the fleet's policy (`requireWrapWithTrusted`).
    case refusedByPolicy(String)
    /// `C_UnwrapKey` rejected the blob: an integrity failure, a security event, never retried (R18).
    case unwrapIntegrityFailure(hsm: String, code: String)
    /// The staged or promoted copy does not match the envelope (R5): it was destroyed.
    case verificationFailed(hsm: String, reason: String)
    /// The destination already holds this identity with other material: a conflict, nothing written.
    case conflict(hsm: String, reason: String)
    /// A PKCS#11 call failed; `outcomeUnknown` when the call may or may not have taken effect (R18).
    case hsmFailure(hsm: String, operation: String, error: String, outcomeUnknown: Bool)

    public var category: FailureCategory {
        switch self {
        case .unsupportedKey, .refusedByPolicy, .transportKeyRefused, .transportKeysDiffer, .conflict: return .integrity
        case .envelopeInvalid, .unwrapIntegrityFailure, .verificationFailed: return .integrity
        case .hsmFailure: return .runtime
        }
    }

    /// Whether the failure is a security event (logged as such, never retried).
    public var isSecurityEvent: Bool {
        switch self {
        case .envelopeInvalid, .unwrapIntegrityFailure, .verificationFailed: return true
        default: return false
        }
    }

    /// A one-word reason for reports: `unsupported`, `transport`, `envelope`, `policy`, `integrity`,
    /// `verification`, `conflict`, `hsm`.
    public var reason: String {
        switch self {
        case .unsupportedKey: return "unsupported"
        case .transportKeyRefused, .transportKeysDiffer: return "transport"
        case .envelopeInvalid: return "envelope"
        case .refusedByPolicy: return "policy"
        case .unwrapIntegrityFailure: return "integrity"
        case .verificationFailed: return "verification"
        case .conflict: return "conflict"
        case .hsmFailure: return "hsm"
        }
    }

    public var description: String {
        switch self {
        case .unsupportedKey(let key, let reason):
            return "\(key) cannot be replicated: \(reason)"
        case .transportKeyRefused(let hsm, let problems):
            return "\(hsm): transport key refused: it \(problems.joined(separator: "; "))"
        case .transportKeysDiffer(let source, let a, let destination, let b):
            return
                "transport keys differ: \(source) check value \(a ?? "unavailable"), \(destination) \(b ?? "unavailable"); nothing was wrapped"
        case .envelopeInvalid(let reason):
            return "envelope rejected before unwrapping: \(reason)"
        case .refusedByPolicy(let reason):
            return "refused by the fleet policy: \(reason)"
        case .unwrapIntegrityFailure(let hsm, let code):
            return
                "\(hsm): C_UnwrapKey rejected the wrapped key (\(code)): integrity failure, security event, not retried"
        case .verificationFailed(let hsm, let reason):
            return "\(hsm): the copy does not match its envelope (\(reason)); it was destroyed"
        case .conflict(let hsm, let reason):
            return "\(hsm): conflict: \(reason); nothing was written"
        case .hsmFailure(let hsm, let operation, let error, let unknown):
            return "\(hsm): \(operation) failed: \(error)\(unknown ? " (outcome unknown)" : "")"
        }
    }
}
