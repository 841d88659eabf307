import Crypto
public import HSMSyncModel
import SignedLog

extension KeyEnvelope {
    /// The wrap mechanisms replication may use (SECURITY.md R7): key wrap with padding, and plain
    /// RFC 3394 key wrap for secret keys whose length is a multiple of 8.
    static let allowedMechanisms: Set<MechanismName> = [.aesKeyWrapPad, .aesKeyWrap]

    /// Verifies the envelope completely, before anything is unwrapped (R6): format version, seal,
    /// blob digest and length, transport key check value, mechanism allow-list, a template that is
    /// complete and consistent, the fleet's policy, and the fingerprint's binding to the blob or to
    /// the public key.
    ///
    /// - Parameter transportCheckValue: the destination transport key's check value.
    /// - Throws: ``ReplicationError/envelopeInvalid(_:)`` naming the first problem,
    ///   ``ReplicationError/transportKeysDiffer(source:sourceCheckValue:destination:destinationCheckValue:)``,
    ///   or ``ReplicationError/refusedByPolicy(_:)``.
    public func verify(
        transportCheckValue expected: String, destination: String = "destination",
        policy: ReplicationPolicy = ReplicationPolicy()
    ) throws(ReplicationError) {
        guard version == Self.currentVersion else {
            throw .envelopeInvalid("format version \(version), expected \(Self.currentVersion)")
        }
        guard digest == computedDigest else {
            throw .envelopeInvalid("the seal does not match its contents (tampered or corrupted)")
        }
        guard let blob = Hex.decode(wrappedKey), !blob.isEmpty else {
            throw .envelopeInvalid("the wrapped key is not lowercase hex")
        }
        guard Array(SHA256.hash(data: blob)).hexString == wrappedKeySHA256 else {
            throw .envelopeInvalid("the wrapped key does not match its SHA-256 (tampered or corrupted)")
        }
        guard transportCheckValue == expected else {
            throw .transportKeysDiffer(
                source: source.hsm, sourceCheckValue: transportCheckValue, destination: destination,
                destinationCheckValue: expected)
        }
        guard Self.allowedMechanisms.contains(mechanism) else {
            throw .envelopeInvalid("wrap mechanism \(mechanism) is not allowed")
        }
        guard blob.count >= 24, blob.count % 8 == 0 else {
            throw .envelopeInvalid("a \(blob.count)-byte wrapped key cannot be AES key wrap output")
        }
        try verifyTemplate(policy: policy)
        try verifyLength(blob)
        try verifyFingerprint(blob)
    }

    private func verifyTemplate(policy: ReplicationPolicy) throws(ReplicationError) {
        switch (key.objectClass, key.keyType) {
        case ("secret-key", "aes"), ("secret-key", "generic-secret"), ("private-key", "rsa"), ("private-key", "ec"):
            break
        default:
            throw .envelopeInvalid("a \(key.keyType) \(key.objectClass) is not replicated")
        }
        if key.objectClass == .privateKey && mechanism != .aesKeyWrapPad {
            throw .envelopeInvalid("private keys travel under CKM_AES_KEY_WRAP_PAD only")
        }
        // Completeness: every attribute of the class, or the destination would fall back to defaults.
        try key.checkComplete()
        for name: AttributeName in [.extractable, .sensitive, .wrapWithTrusted] where key.flags[name] == nil {
            throw .envelopeInvalid("the template lacks \(name)")
        }
        if key.flags["CKA_EXTRACTABLE"] != true {
            throw .envelopeInvalid("the template says the key is not extractable, yet it was wrapped")
        }
        if policy.requireWrapWithTrusted && key.flags["CKA_WRAP_WITH_TRUSTED"] != true {
            throw .refusedByPolicy("\(key.identity) lacks CKA_WRAP_WITH_TRUSTED (policy requireWrapWithTrusted)")
        }
        if let publicKey {
            guard key.objectClass == "private-key", publicKey.objectClass == "public-key",
                publicKey.keyType == key.keyType, publicKey.label == key.label, publicKey.id == key.id
            else {
                throw .envelopeInvalid("the public key template does not belong to the key")
            }
            try publicKey.checkComplete()
        }
        if key.objectClass == "private-key" && key.keyType == "ec" && publicKey == nil {
            throw .envelopeInvalid("an EC private key travels with its public key object")
        }
    }

    /// The blob's length against the key's: RFC 3394 adds 8 bytes; SoftHSM2's key wrap with padding
    /// pads to a multiple of 8 first (SECURITY.md P6), then adds 8.
    private func verifyLength(_ blob: [UInt8]) throws(ReplicationError) {
        guard let length = key.valueLength else { return }
        let expected =
            mechanism == .aesKeyWrap ? length + 8 : (length + 7) / 8 * 8 + 8
        if mechanism == .aesKeyWrap && length % 8 != 0 {
            throw .envelopeInvalid("CKM_AES_KEY_WRAP for a key of \(length) bytes (not a multiple of 8)")
        }
        guard blob.count == expected else {
            throw .envelopeInvalid("\(blob.count)-byte wrapped key for a \(length)-byte key (expected \(expected))")
        }
    }

    /// The fingerprint must be bound to what travels: the blob itself for a secret key wrapped with
    /// RFC 3394 under the same transport key, the public key for private keys.
    private func verifyFingerprint(_ blob: [UInt8]) throws(ReplicationError) {
        guard case .available(let method, let sha256) = fingerprint else { return }
        switch method {
        case .transportWrap(let checkValue)
        where checkValue == transportCheckValue && mechanism == .aesKeyWrap:
            guard Array(SHA256.hash(data: blob)).hexString == sha256 else {
                throw .envelopeInvalid("the wrapped key does not match the source fingerprint")
            }
        case .subjectPublicKeyInfo:
            let computed = key.keyType == "rsa" ? key.publicKeyFingerprint : publicKey?.publicKeyFingerprint
            guard computed == sha256 else {
                throw .envelopeInvalid("the public key does not match the source fingerprint")
            }
        default:
            break
        }
    }
}
