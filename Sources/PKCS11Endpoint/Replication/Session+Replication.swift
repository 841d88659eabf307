import Crypto
public import HSMSyncModel
public import PKCS11
import SignedLog

extension Session {
    /// Source side of SECURITY.md §5 step 2: wraps `key` under the transport key with the mechanism
    /// R7 prescribes for its template.
    ///
    /// - Returns: the mechanism used and the blob.
    public func wrapForReplication(_ key: ObjectHandle, template: KeyTemplate, transportKey: ObjectHandle, hsm: String)
        throws(ReplicationError) -> (mechanism: MechanismType, blob: [UInt8])
    {
        let mechanism = Self.wrapMechanism(for: template)
        do {
            return (mechanism, try wrapKey(key, with: transportKey, mechanism: Mechanism(mechanism)))
        } catch {
            throw .hsmFailure(
                hsm: hsm, operation: "wrapping \(template.identity) (C_WrapKey)", error: "\(error)",
                outcomeUnknown: false)
        }
    }

    /// `CKM_AES_KEY_WRAP` for AES keys and secret keys of a known length that is a multiple of 8,
    /// else `CKM_AES_KEY_WRAP_PAD` (R7). SoftHSM2's plain key wrap pads silently (P6): never rely on it.
    static func wrapMechanism(for template: KeyTemplate) -> MechanismType {
        WrapMechanismRule.mechanism(for: template.objectClass, keyType: template.keyType) == .aesKeyWrap
            ? .aesKeyWrap : .aesKeyWrapPad
    }

    /// Destination side of SECURITY.md §5 steps 4–6 for a verified envelope: unwrap as a session
    /// object with the envelope's complete template, read it back and prove it (re-wrap equals the
    /// transported blob; public key match; sign/verify for EC pairs), promote to a token object
    /// (`C_CopyObject(CKA_TOKEN=true)`, or for non-copyable or non-modifiable keys a second unwrap to the
    /// token), read the token object back, and destroy the staged objects.
    ///
    /// Call ``KeyEnvelope/verify(transportCheckValue:destination:policy:)`` first. A staged
    /// object that fails verification is destroyed; a promoted object that fails its read-back is
    /// destroyed too (hsmsync made it a moment ago); nothing else is ever destroyed.
    ///
    /// - Parameter presentPublicKey: whether the destination already holds the public key object
    ///   (then it is not created again).
    public func installVerifiedEnvelope(
        _ envelope: KeyEnvelope, transportKey: ObjectHandle, hsm: String, presentPublicKey: Bool = false
    ) throws(ReplicationError) -> InstalledKey {
        let blob = envelope.wrappedKeyBytes
        let mechanism = Mechanism(
            envelope.mechanism == .aesKeyWrap ? .aesKeyWrap : .aesKeyWrapPad)
        let stagedTemplate = try envelope.key.attributes(token: false)
        if envelope.key.objectClass != "public-key",
            let violation = KeySeparation.violation(usage: envelope.key.usage)
        {
            throw .refusedByPolicy("\(envelope.key.identity): \(violation); nothing was unwrapped")
        }
        try requireAbsent(envelope.key, hsm: hsm)
        if let publicKey = envelope.publicKey, !presentPublicKey { try requireAbsent(publicKey, hsm: hsm) }

        // Step 4: stage. A failure here leaves nothing behind: session objects vanish with the session.
        let staged: ObjectHandle
        do {
            staged = try unwrapKey(blob, with: transportKey, mechanism: mechanism, template: stagedTemplate)
        } catch {
            if Self.isIntegrityFailure(error.code) {
                throw .unwrapIntegrityFailure(hsm: hsm, code: error.code.name)
            }
            throw .hsmFailure(
                hsm: hsm, operation: "staging \(envelope.key.identity) (C_UnwrapKey)", error: "\(error)",
                outcomeUnknown: false)
        }
        var stagedObjects = [staged]
        defer { for object in stagedObjects { try? destroyObject(object) } }

        var stagedPublic: ObjectHandle?
        if let publicKey = envelope.publicKey, !presentPublicKey {
            do {
                let object = try createObject(try publicKey.attributes(token: false))
                stagedObjects.append(object)
                stagedPublic = object
            } catch let error as PKCS11Error {
                throw .hsmFailure(
                    hsm: hsm, operation: "staging \(publicKey.identity) (C_CreateObject)", error: "\(error)",
                    outcomeUnknown: false)
            } catch {
                throw error as? ReplicationError ?? .envelopeInvalid("\(error)")
            }
        }

        // Step 5: verify the staged copies.
        var proofs = try verifyStaged(
            staged, envelope: envelope, blob: blob, mechanism: mechanism, transportKey: transportKey, hsm: hsm)
        if let stagedPublic, let publicKey = envelope.publicKey {
            try readBack(stagedPublic, expected: publicKey, hsm: hsm, stage: "staged")
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

        // Step 6: promote, then read the token objects back. The public key goes first: a promotion of
        // the private key torn by a crash is then next to its public key, which gives it a
        // fingerprint (an EC private key on SoftHSM2 carries no public point), so recovery can prove
        // the torn object is this copy's.
        var promoted: [KeyIdentity] = []
        if let stagedPublic, let publicKey = envelope.publicKey {
            try promote(
                stagedPublic, template: publicKey, blob: nil, mechanism: nil, transportKey: transportKey, hsm: hsm)
            promoted.append(publicKey.identity)
        }
        try promote(
            staged, template: envelope.key, blob: blob, mechanism: mechanism, transportKey: transportKey, hsm: hsm)
        promoted.append(envelope.key.identity)
        return InstalledKey(promoted: promoted.reversed(), proofs: proofs)
    }

    /// Creates a public key object from its template (a public key missing on its own: no wrapping,
    /// it holds nothing secret), staged, read back, promoted and read back again.
    public func installPublicKey(_ template: KeyTemplate, fingerprint: Fingerprint, hsm: String)
        throws(ReplicationError) -> InstalledKey
    {
        guard template.objectClass == "public-key" else {
            throw .envelopeInvalid("\(template.identity) is not a public key")
        }
        if let expected = fingerprint.digest, fingerprint.method == .subjectPublicKeyInfo,
            template.publicKeyFingerprint != expected
        {
            throw .envelopeInvalid("the public key does not match the source fingerprint")
        }
        try requireAbsent(template, hsm: hsm)
        let staged: ObjectHandle
        do {
            staged = try createObject(try template.attributes(token: false))
        } catch let error as PKCS11Error {
            throw .hsmFailure(
                hsm: hsm, operation: "staging \(template.identity) (C_CreateObject)", error: "\(error)",
                outcomeUnknown: false)
        } catch {
            throw error as? ReplicationError ?? .envelopeInvalid("\(error)")
        }
        defer { try? destroyObject(staged) }
        try readBack(staged, expected: template, hsm: hsm, stage: "staged")
        try promote(staged, template: template, blob: nil, mechanism: nil, transportKey: nil, hsm: hsm)
        return InstalledKey(promoted: [template.identity], proofs: ["public-key"])
    }

    /// Looks the identity up on the token itself, under the token lock, right before the copy is
    /// made (SECURITY.md R23): the plan saw it missing, but a PKCS#11 client that is not hsmsync (a CA,
    /// an operator's pkcs11-tool) may have created it since, and a second object with the same
    /// identity is a duplicate no later run can repair.
    private func requireAbsent(_ template: KeyTemplate, hsm: String) throws(ReplicationError) {
        guard let objectClass = SpecNames.objectClass(template.objectClass) else { return }
        var match: [Attribute] = [.class(objectClass), .label(template.label), .bool(.token, true)]
        match.append(.id(Hex.decode(template.id) ?? []))
        let found: [ObjectHandle]
        do {
            found = try findObjects(matching: match)
        } catch {
            throw .hsmFailure(
                hsm: hsm, operation: "looking up \(template.identity) before copying it (C_FindObjects)",
                error: "\(error)", outcomeUnknown: false)
        }
        guard found.isEmpty else {
            throw .conflict(
                hsm: hsm,
                reason:
                    "\(template.identity) appeared on the token after the plan was made (\(found.count) object(s)); "
                    + "nothing was copied over it")
        }
    }

    /// SoftHSM2 2.6.1 answers a tampered blob or a wrong key with `CKR_GENERAL_ERROR` (P5); other
    /// tokens say `CKR_WRAPPED_KEY_INVALID` or `CKR_ENCRYPTED_DATA_INVALID`.
    static func isIntegrityFailure(_ code: ReturnCode) -> Bool {
        // CKR_ENCRYPTED_DATA_INVALID (0x40) and CKR_ENCRYPTED_DATA_LEN_RANGE (0x41) have no named constant.
        [
            ReturnCode.wrappedKeyInvalid, .wrappedKeyLenRange, .generalError, ReturnCode(rawValue: 0x40),
            ReturnCode(rawValue: 0x41),
        ].contains(code)
    }

    private func verifyStaged(
        _ staged: ObjectHandle, envelope: KeyEnvelope, blob: [UInt8], mechanism: Mechanism,
        transportKey: ObjectHandle, hsm: String
    ) throws(ReplicationError) -> [String] {
        try readBack(staged, expected: envelope.key, hsm: hsm, stage: "staged")
        let again: [UInt8]
        do {
            again = try wrapKey(staged, with: transportKey, mechanism: mechanism)
        } catch {
            throw .verificationFailed(hsm: hsm, reason: "re-wrapping the staged copy failed: \(error)")
        }
        guard again == blob else {
            throw .verificationFailed(hsm: hsm, reason: "the staged copy re-wraps to a different blob")
        }
        return ["rewrap"]
    }

    /// Reads `object` back and refuses it (destroying nothing here: callers own the cleanup) when
    /// it differs from `expected` in any replicated attribute (R5).
    private func readBack(_ object: ObjectHandle, expected: KeyTemplate, hsm: String, stage: String)
        throws(ReplicationError)
    {
        let actual: KeyTemplate
        do {
            actual = try keyTemplate(of: object)
        } catch {
            throw .verificationFailed(hsm: hsm, reason: "the \(stage) copy cannot be read back: \(error)")
        }
        let differences = expected.differences(from: actual)
        guard differences.isEmpty else {
            throw .verificationFailed(
                hsm: hsm, reason: "the \(stage) copy differs: \(differences.joined(separator: "; "))")
        }
    }

    /// A functional pairing test for EC keys: sign a fixed digest with the private key, verify with
    /// the public key (SECURITY.md §5 step 5).
    private func signVerify(_ privateKey: ObjectHandle, _ publicKey: ObjectHandle, hsm: String)
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

    /// Makes the verified staged object a token object and reads the token object back. A copyable
    /// and modifiable key is copied (`C_CopyObject(CKA_TOKEN=true)`: one token write); any other cannot be
    /// (SoftHSM2: `CKR_ACTION_PROHIBITED`, `CKR_ATTRIBUTE_READ_ONLY`), so the verified blob is unwrapped once more, straight to
    /// the token, with the same complete template.
    private func promote(
        _ staged: ObjectHandle, template: KeyTemplate, blob: [UInt8]?, mechanism: Mechanism?,
        transportKey: ObjectHandle?, hsm: String
    ) throws(ReplicationError) {
        let promoted: ObjectHandle
        do {
            // SoftHSM2 refuses to copy a non-modifiable object (CKR_ATTRIBUTE_READ_ONLY: CKA_TOKEN
            // would change), and ceremonies make their keys non-modifiable.
            if template.flag(.copyable) && template.flag(.modifiable) {
                promoted = try copyObject(staged, template: [.bool(.token, true)])
            } else if let blob, let mechanism, let transportKey {
                promoted = try unwrapKey(
                    blob, with: transportKey, mechanism: mechanism, template: try template.attributes(token: true))
            } else {
                promoted = try createObject(try template.attributes(token: true))
            }
        } catch let error as PKCS11Error {
            throw .hsmFailure(
                hsm: hsm, operation: "promoting \(template.identity) to a token object", error: "\(error)",
                outcomeUnknown: error.code.leavesOutcomeUnknown)
        } catch {
            throw error as? ReplicationError ?? .envelopeInvalid("\(error)")
        }
        do {
            try readBack(promoted, expected: template, hsm: hsm, stage: "promoted")
            let token = try attributes([.token], of: promoted).bool(.token)
            guard token == true else {
                throw ReplicationError.verificationFailed(hsm: hsm, reason: "the promoted copy is not a token object")
            }
        } catch {
            // hsmsync created this object a moment ago and it is wrong: remove it, report it.
            try? destroyObject(promoted)
            throw error as? ReplicationError ?? .verificationFailed(hsm: hsm, reason: "\(error)")
        }
    }
}
