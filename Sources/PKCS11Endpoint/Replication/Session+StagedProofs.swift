import Crypto
import HSMSyncModel
import PKCS11

/// Step 5 of the replication protocol on the destination: the staged copies are read back and
/// proven before anything reaches the token.
extension Session {
    /// Creates the envelope's public key object as a session object (`nil` when none travels).
    func stagePublicKey(_ publicKey: KeyTemplate?, refused: Set<AttributeName>, hsm: String)
        throws(ReplicationError) -> ObjectHandle?
    {
        guard let publicKey else { return nil }
        do {
            return try createObject(try publicKey.attributes(token: false, omitting: refused))
        } catch let error as PKCS11Error {
            throw .hsmFailure(
                hsm: hsm, operation: "staging \(publicKey.identity) (C_CreateObject)", error: "\(error)",
                outcomeUnknown: false)
        } catch {
            throw error as? ReplicationError ?? .envelopeInvalid("\(error)")
        }
    }

    /// Proves the staged copies: read back against the envelope; re-wrapped to the blob it came in;
    /// the public key against the source fingerprint; an EC pair by signing; a private key another
    /// implementation encodes otherwise by signing instead of re-wrapping.
    ///
    /// - Returns: the proofs passed (`rewrap`, `public-key`, `sign-verify`).
    func proveStaged(
        _ staged: ObjectHandle, publicKey stagedPublic: ObjectHandle?, envelope: KeyEnvelope, mechanism: Mechanism,
        transportKey: ObjectHandle, refused: Set<AttributeName>, hsm: String
    ) throws(ReplicationError) -> [String] {
        var proofs = try verifyStaged(
            staged, envelope: envelope, blob: envelope.wrappedKeyBytes, mechanism: mechanism,
            transportKey: transportKey, refused: refused, hsm: hsm)
        if let stagedPublic, let publicKey = envelope.publicKey {
            try readBack(stagedPublic, expected: publicKey, refused: refused, hsm: hsm, stage: "staged")
            if let expected = envelope.fingerprint.digest, envelope.fingerprint.method == .subjectPublicKeyInfo {
                guard publicKey.publicKeyFingerprint == expected else {
                    throw .verificationFailed(hsm: hsm, reason: "the public key does not match the source fingerprint")
                }
                proofs.append("public-key")
            }
            if envelope.key.keyType == "ec", envelope.key.flag(.sign), publicKey.flag(.verify) {
                try signVerify(staged, stagedPublic, hsm: hsm)
                proofs.append("sign-verify")
            }
        }
        if !proofs.contains("rewrap") {
            try proveByPairing(staged, envelope: envelope, proofs: &proofs, hsm: hsm)
        }
        return proofs
    }

    func verifyStaged(
        _ staged: ObjectHandle, envelope: KeyEnvelope, blob: [UInt8], mechanism: Mechanism,
        transportKey: ObjectHandle, refused: Set<AttributeName>, hsm: String
    ) throws(ReplicationError) -> [String] {
        try readBack(staged, expected: envelope.key, refused: refused, hsm: hsm, stage: "staged")
        let again: [UInt8]
        do {
            again = try wrapKey(staged, with: transportKey, mechanism: mechanism)
        } catch {
            throw .verificationFailed(hsm: hsm, reason: "re-wrapping the staged copy failed: \(error)")
        }
        guard again == blob else {
            // Tokens encode the same private key into different PKCS#8 (NSS softoken and SoftHSM2 do):
            // such a copy must prove itself by signing instead (installVerifiedEnvelope).
            if envelope.key.objectClass == .privateKey { return [] }
            throw .verificationFailed(hsm: hsm, reason: "the staged copy re-wraps to a different blob")
        }
        return ["rewrap"]
    }

    /// Reads `object` back and refuses it (destroying nothing here: callers own the cleanup) when
    /// it differs from `expected` in any replicated attribute (R5).
    func readBack(
        _ object: ObjectHandle, expected: KeyTemplate, refused: Set<AttributeName> = [], hsm: String, stage: String
    ) throws(ReplicationError) {
        let actual: KeyTemplate
        do {
            actual = try keyTemplate(of: object, refused: refused)
        } catch {
            throw .verificationFailed(hsm: hsm, reason: "the \(stage) copy cannot be read back: \(error)")
        }
        let differences = expected.differences(from: actual, ignoring: refused)
        guard differences.isEmpty else {
            throw .verificationFailed(
                hsm: hsm, reason: "the \(stage) copy differs: \(differences.joined(separator: "; "))")
        }
    }

    /// A functional pairing test for EC keys: sign a fixed digest with the private key, verify with
    /// the public key (SECURITY.md §5 step 5).
    func signVerify(_ privateKey: ObjectHandle, _ publicKey: ObjectHandle, hsm: String)
        throws(ReplicationError)
    {
        let digest = Array(SHA256.hash(data: Array("hsmsync/replication/pairing-check/v1".utf8)))
        do {
            let signature = try sign(digest, with: privateKey, mechanism: .ecdsa)
            guard try verify(digest, signature: signature, with: publicKey, mechanism: .ecdsa) else {
                throw ReplicationError.verificationFailed(
                    hsm: hsm, reason: "the staged public key does not verify the staged private key's signature")
            }
        } catch let error as ReplicationError {
            throw error
        } catch {
            throw .verificationFailed(hsm: hsm, reason: "the staged key pair does not sign and verify: \(error)")
        }
    }

    /// Turns off the usage flags a token switched on against the template (NSS softoken sets
    /// `CKA_DERIVE` and `CKA_SIGN_RECOVER` on every EC private key it unwraps, `CKA_DECRYPT`,
    /// `CKA_UNWRAP` and `CKA_SIGN_RECOVER` on RSA ones): the copy must never allow more than its
    /// source. A key that cannot be changed (`CKA_MODIFIABLE=false`) stays as it is, and the read-back
    /// refuses it.
    func narrowForcedFlags(
        _ object: ObjectHandle, expected: KeyTemplate, refused: Set<AttributeName>, hsm: String
    ) throws(ReplicationError) {
        guard let actual = try? keyTemplate(of: object, refused: refused), expected.flag(.modifiable) else { return }
        let widened = expected.flags.keys.sorted().filter { name in
            !refused.contains(name) && name != .modifiable && expected.flags[name] == false
                && actual.flags[name] == true
        }
        guard !widened.isEmpty else { return }
        do {
            try setAttributes(widened.map { .bool(SpecNames.attributeType($0), false) }, of: object)
        } catch {
            throw .verificationFailed(
                hsm: hsm,
                reason: "the token turned on \(widened.map(\.rawValue).joined(separator: ", ")) when unwrapping, "
                    + "and turning them off failed: \(error)")
        }
    }

    /// The proof for a private key whose staged copy re-wraps to other bytes than it travelled in
    /// (another implementation's PKCS#8): it must sign what its public key verifies. An EC key next
    /// to its staged public key has done so already; otherwise the key signs for a session public key
    /// made from the envelope (an RSA key's own modulus and exponent, an EC key's public key
    /// template), which the envelope's fingerprint binds.
    func proveByPairing(
        _ staged: ObjectHandle, envelope: KeyEnvelope, proofs: inout [String], hsm: String
    ) throws(ReplicationError) {
        if !proofs.contains("sign-verify"), envelope.key.flag(.sign),
            let (template, mechanism) = Self.pairingPublicKey(envelope)
        {
            let data = Array("hsmsync/replication/pairing-check/v1".utf8)
            // CKM_ECDSA signs a digest; CKM_SHA256_RSA_PKCS hashes the data itself.
            let signed = mechanism.type == .ecdsa ? Array(SHA256.hash(data: data)) : data
            do {
                let publicKey = try createObject(template)
                defer { try? destroyObject(publicKey) }
                let signature = try sign(signed, with: staged, mechanism: mechanism)
                guard try verify(signed, signature: signature, with: publicKey, mechanism: mechanism) else {
                    throw ReplicationError.verificationFailed(
                        hsm: hsm, reason: "the staged key's signature does not verify with its public key")
                }
            } catch let error as ReplicationError {
                throw error
            } catch {
                throw .verificationFailed(hsm: hsm, reason: "the staged key does not sign and verify: \(error)")
            }
            proofs.append("sign-verify")
        }
        guard proofs.contains("sign-verify") else {
            throw .verificationFailed(
                hsm: hsm,
                reason: "the staged copy re-wraps to a different blob (this token encodes the private key "
                    + "otherwise), and it may not sign, so nothing else can prove it")
        }
    }

    /// A session public key object for the envelope's private key, and the mechanism to sign with.
    private static func pairingPublicKey(_ envelope: KeyEnvelope) -> ([Attribute], Mechanism)? {
        let session: [Attribute] = [.class(.publicKey), .bool(.token, false), .bool(.verify, true)]
        switch envelope.key.keyType {
        case .rsa:
            guard let modulus = envelope.key.publicAttributes[.modulus].flatMap(Hex.decode),
                let exponent = envelope.key.publicAttributes[.publicExponent].flatMap(Hex.decode)
            else { return nil }
            return (
                session + [.keyType(.rsa), .bytes(.modulus, modulus), .bytes(.publicExponent, exponent)],
                Mechanism(.sha256RSAPKCS)
            )
        case .ec:
            guard let publicKey = envelope.publicKey,
                let parameters = publicKey.publicAttributes[.ecParams].flatMap(Hex.decode),
                let point = publicKey.publicAttributes[.ecPoint].flatMap(Hex.decode)
            else { return nil }
            return (session + [.keyType(.ec), .bytes(.ecParams, parameters), .bytes(.ecPoint, point)], .ecdsa)
        default:
            return nil
        }
    }
}
