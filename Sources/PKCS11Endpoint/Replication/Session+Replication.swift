import Crypto
public import HSMSyncModel
public import PKCS11
import SignedLog

extension Session {
    /// Source side of SECURITY.md §5 step 2: wraps `key` under the transport key with `mechanism`,
    /// this token's mechanism for the wrap method negotiated with the destination.
    public func wrapForReplication(
        _ key: ObjectHandle, template: KeyTemplate, transportKey: ObjectHandle, hsm: String, mechanism: MechanismType
    ) throws(ReplicationError) -> [UInt8] {
        do {
            return try wrapKey(key, with: transportKey, mechanism: Mechanism(mechanism))
        } catch {
            throw .hsmFailure(
                hsm: hsm, operation: "wrapping \(template.identity) (C_WrapKey)", error: "\(error)",
                outcomeUnknown: false)
        }
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
    /// - Parameters:
    ///   - presentPublicKey: whether the destination already holds the public key object (then it is
    ///     not created again).
    ///   - profile: how this token takes the envelope's wrap method and template (its capabilities).
    public func installVerifiedEnvelope(
        _ envelope: KeyEnvelope, transportKey: ObjectHandle, hsm: String, presentPublicKey: Bool = false,
        profile: UnwrapProfile
    ) throws(ReplicationError) -> InstalledKey {
        let blob = envelope.wrappedKeyBytes
        let mechanism = profile.mechanism
        let refused = profile.refused
        let stagedTemplate = try profile.unwrapTemplate(envelope, token: false)
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
        try narrowForcedFlags(staged, expected: envelope.key, refused: refused, hsm: hsm)

        let stagedPublic = presentPublicKey ? nil : try stagePublicKey(envelope.publicKey, refused: refused, hsm: hsm)
        if let stagedPublic { stagedObjects.append(stagedPublic) }

        // Step 5: verify the staged copies.
        let proofs = try proveStaged(
            staged, publicKey: stagedPublic, envelope: envelope, mechanism: mechanism, transportKey: transportKey,
            refused: refused, hsm: hsm)

        // Step 6: promote, then read the token objects back. The public key goes first: a promotion of
        // the private key torn by a crash is then next to its public key, which gives it a
        // fingerprint (an EC private key on SoftHSM2 carries no public point), so recovery can prove
        // the torn object is this copy's.
        var promoted: [KeyIdentity] = []
        if let stagedPublic, let publicKey = envelope.publicKey {
            try promote(
                stagedPublic, template: publicKey, unwrap: nil, transportKey: transportKey, refused: refused, hsm: hsm)
            promoted.append(publicKey.identity)
        }
        let tokenUnwrap = (
            blob: blob, mechanism: mechanism, template: try profile.unwrapTemplate(envelope, token: true)
        )
        try promote(
            staged, template: envelope.key, unwrap: tokenUnwrap, transportKey: transportKey, refused: refused, hsm: hsm)
        promoted.append(envelope.key.identity)
        let weakened = envelope.key.weakenings(refused: refused)
        return InstalledKey(promoted: promoted.reversed(), proofs: proofs, weakened: weakened)
    }

    /// Creates a public key object from its template (a public key missing on its own: no wrapping,
    /// it holds nothing secret), staged, read back, promoted and read back again.
    public func installPublicKey(
        _ template: KeyTemplate, fingerprint: Fingerprint, hsm: String, refused: Set<AttributeName> = []
    ) throws(ReplicationError) -> InstalledKey {
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
            staged = try createObject(try template.attributes(token: false, omitting: refused))
        } catch let error as PKCS11Error {
            throw .hsmFailure(
                hsm: hsm, operation: "staging \(template.identity) (C_CreateObject)", error: "\(error)",
                outcomeUnknown: false)
        } catch {
            throw error as? ReplicationError ?? .envelopeInvalid("\(error)")
        }
        defer { try? destroyObject(staged) }
        try readBack(staged, expected: template, refused: refused, hsm: hsm, stage: "staged")
        try promote(staged, template: template, unwrap: nil, transportKey: nil, refused: refused, hsm: hsm)
        return InstalledKey(
            promoted: [template.identity], proofs: ["public-key"], weakened: template.weakenings(refused: refused))
    }

    /// Looks the identity up on the token itself, under the token lock, right before the copy is
    /// made (SECURITY.md R23): the plan saw it missing, but a PKCS#11 client that is not hsmsync (a CA,
    /// an operator's pkcs11-tool) may have created it since, and a second object with the same
    /// identity is a duplicate no later run can repair.
    private func requireAbsent(_ template: KeyTemplate, hsm: String) throws(ReplicationError) {
        guard let objectClass = SpecNames.objectClass(template.objectClass) else { return }
        // By class and CKA_ID whatever the label: applications find keys by CKA_ID, and NSS softoken
        // merges an unwrapped key into an existing one of the same class and CKA_ID (same handle,
        // its attributes overwritten) instead of creating a second.
        let id = Hex.decode(template.id) ?? []
        let match: [Attribute] =
            id.isEmpty
            ? [.class(objectClass), .label(template.label), .bool(.token, true), .id([])]
            : [.class(objectClass), .bool(.token, true), .id(id)]
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
                    "\(template.identity) appeared on the token after the plan was made (\(found.count) object(s) of "
                    + "this class with this CKA_ID); nothing was copied over it")
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

}
