import Crypto
import HSMSyncModel
import PKCS11
public import SignedLog

/// Signs the log's checkpoints with a key held in an HSM: Ed25519 (`CKM_EDDSA`, signature type
/// 0x01) where the token has it, ECDSA P-256 (`CKM_ECDSA` over a host-computed SHA-256, type 0x02)
/// otherwise. The private key never leaves the token; the log verifies every signature against
/// the public key before it writes a checkpoint.
public final class HSMAuditSigner: AuditSigner {
    public let verifierKey: VerifierKey
    private let worker: HSMWorker
    /// The private key, found once: a token object's handle holds for this application until
    /// `C_Finalize`, so a checkpoint costs one `C_Sign`, not a search as well.
    private let privateKey: ObjectHandle
    private let mechanism: Mechanism

    /// Finds the key pair labelled `label` on the worker's token and builds the vkey named `origin`.
    ///
    /// - Throws: ``AuditTrailError`` when there is no such key pair or it is of another type.
    public init(worker: HSMWorker, label: String, origin: String) async throws {
        let found = try await worker.withSession { session in
            let privateKeys = try session.findObjects(matching: [.class(.privateKey), .label(label)])
            let publicKeys = try session.findObjects(matching: [.class(.publicKey), .label(label)])
            guard privateKeys.count == 1, publicKeys.count == 1 else {
                return (KeyType?.none, [UInt8](), [UInt8](), ObjectHandle?.none)
            }
            let set = try session.attributes([.keyType, .ecParams, .ecPoint], of: publicKeys[0])
            return (set.keyType, set.bytes(.ecParams) ?? [], set.bytes(.ecPoint) ?? [], privateKeys[0])
        }
        let (keyType, parameters, point, privateKey) = found
        guard let privateKey, let keyType else {
            throw AuditTrailError.logKeyNotFound(hsm: worker.name, label: label)
        }
        guard let curve = NamedCurve.from(ecParams: parameters), let raw = curve.rawPoint(from: point) else {
            throw AuditTrailError.unsupportedLogKey(
                hsm: worker.name, label: label, reason: "not a named EC or Edwards curve")
        }
        switch (keyType, curve.name) {
        case (.ecEdwards, "Ed25519"):
            verifierKey = try VerifierKey.ed25519(name: origin, publicKey: raw)
            mechanism = .eddsa
        case (.ec, "P-256"):
            verifierKey = try VerifierKey.ecdsa(
                name: origin, subjectPublicKeyInfo: SubjectPublicKeyInfo.ec(curve: curve, rawPoint: raw))
            mechanism = .ecdsa
        default:
            throw AuditTrailError.unsupportedLogKey(
                hsm: worker.name, label: label, reason: "\(curve.name) keys cannot sign checkpoints (Ed25519 or P-256)")
        }
        self.worker = worker
        self.privateKey = privateKey
    }

    public func sign(_ message: [UInt8]) async throws -> [UInt8] {
        let key = privateKey
        let mechanism = mechanism
        let input = mechanism == .ecdsa ? Array(SHA256.hash(data: message)) : message
        let signature = try await worker.withSession { session in
            try session.sign(input, with: key, mechanism: mechanism)
        }
        guard mechanism == .ecdsa else { return signature }
        // CKM_ECDSA returns r ‖ s; signed notes of type 0x02 carry DER.
        return Array(try P256.Signing.ECDSASignature(rawRepresentation: signature).derRepresentation)
    }
}

extension HSMAuditSigner {
    /// Generates a log key pair in the worker's token under `label`: Ed25519 where the token offers
    /// `CKM_EC_EDWARDS_KEY_PAIR_GEN`, else ECDSA P-256. Sensitive, not extractable, SIGN only.
    ///
    /// - Returns: the curve chosen.
    public static func generateKey(on worker: HSMWorker, label: String) async throws -> String {
        let hsm = worker.name
        return try await worker.withSession { session in
            guard try session.findObjects(matching: [.label(label)]).isEmpty else {
                throw AuditTrailError.logKeyExists(hsm: hsm, label: label)
            }
            let edwards = try session.module.mechanisms(session.slot).contains(.ecEdwardsKeyPairGen)
            let curve = NamedCurve.all.first { $0.name == (edwards ? "Ed25519" : "P-256") }!
            _ = try session.generateKeyPair(
                edwards ? .ecEdwardsKeyPairGen : .ecKeyPairGen,
                publicKeyTemplate: [
                    .bytes(.ecParams, curve.oidDER), .bool(.token, true), .label(label), .bool(.verify, true),
                    .bool(.encrypt, false), .bool(.wrap, false), .bool(.derive, false),
                ],
                privateKeyTemplate: [
                    .bool(.token, true), .bool(.private, true), .label(label), .bool(.sign, true),
                    .bool(.decrypt, false), .bool(.unwrap, false), .bool(.derive, false), .bool(.sensitive, true),
                    .bool(.extractable, false),
                ])
            return curve.name
        }
    }
}
