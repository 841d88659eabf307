import Crypto
public import HSMSyncModel
public import SignedLog

/// Signs the log's checkpoints with a key held in an HSM: Ed25519 (`CKM_EDDSA`, signature type
/// 0x01) where the token has it, ECDSA P-256 (`CKM_ECDSA` over a host-computed SHA-256, type 0x02)
/// otherwise. The private key never leaves the token; the log verifies every signature against
/// the public key before it writes a checkpoint.
public final class HSMAuditSigner: AuditSigner {
    public let verifierKey: VerifierKey
    private let endpoint: any HSMEndpoint
    private let label: String
    private let mechanism: MechanismName

    /// Finds the key pair labelled `label` on the endpoint's token and builds the vkey named `origin`.
    ///
    /// - Throws: ``AuditTrailError`` when there is no such key pair or it is of another type.
    public init(endpoint: any HSMEndpoint, label: String, origin: String) async throws {
        guard let key = try await endpoint.logKey(label: label) else {
            throw AuditTrailError.logKeyNotFound(hsm: endpoint.name, label: label)
        }
        guard let curve = NamedCurve.from(ecParams: key.parameters), let raw = curve.rawPoint(from: key.point) else {
            throw AuditTrailError.unsupportedLogKey(
                hsm: endpoint.name, label: label, reason: "not a named EC or Edwards curve")
        }
        switch (key.keyType, curve.name) {
        case (.ecEdwards, "Ed25519"):
            verifierKey = try VerifierKey.ed25519(name: origin, publicKey: raw)
            mechanism = .eddsa
        case (.ec, "P-256"):
            verifierKey = try VerifierKey.ecdsa(
                name: origin, subjectPublicKeyInfo: SubjectPublicKeyInfo.ec(curve: curve, rawPoint: raw))
            mechanism = .ecdsa
        default:
            throw AuditTrailError.unsupportedLogKey(
                hsm: endpoint.name, label: label,
                reason: "\(curve.name) keys cannot sign checkpoints (Ed25519 or P-256)")
        }
        self.endpoint = endpoint
        self.label = label
    }

    public func sign(_ message: [UInt8]) async throws -> [UInt8] {
        let input = mechanism == .ecdsa ? Array(SHA256.hash(data: message)) : message
        let signature = try await endpoint.sign(input, keyLabel: label, mechanism: mechanism)
        guard mechanism == .ecdsa else { return signature }
        // CKM_ECDSA returns r ‖ s; signed notes of type 0x02 carry DER.
        return Array(try P256.Signing.ECDSASignature(rawRepresentation: signature).derRepresentation)
    }
}

extension HSMAuditSigner {
    /// Generates a log key pair in the endpoint's token under `label`: Ed25519 where the token
    /// offers `CKM_EC_EDWARDS_KEY_PAIR_GEN`, else ECDSA P-256. Sensitive, not extractable, SIGN only.
    ///
    /// - Returns: the curve chosen.
    public static func generateKey(on endpoint: any HSMEndpoint, label: String) async throws -> String {
        guard try await endpoint.countObjects(label: label, objectClass: nil) == 0 else {
            throw AuditTrailError.logKeyExists(hsm: endpoint.name, label: label)
        }
        return try await endpoint.generateLogKey(label: label)
    }
}
