import CryptoExtras
import Foundation
import HSMSyncModel
import PKCS11
import SecureMemory
import SignedLog

/// The result of bringing the key into the HSM; the handle never leaves the worker.
struct ImportedTransportKey {
    let handle: ObjectHandle
    let method: TransportKeyImportMethod
    /// SHA-256 of the ephemeral RSA key's SubjectPublicKeyInfo (R12: its fingerprint is recorded).
    let importKeyFingerprint: String?
    /// Why `C_CreateObject` was used instead of an unwrap.
    let fallbackReason: String?
}

extension Session {
    /// The RSA modulus of the ephemeral import key (R8: RSA-OAEP ≥ 3072).
    static let importKeyBits: UInt = 3072

    /// Why the token cannot import by RSA-OAEP unwrap, or `nil` when it can (mechanism list and
    /// flags only: nothing is created).
    func oaepUnwrapUnsupportedReason() throws(PKCS11Error) -> String? {
        let listed = Set(try module.mechanisms(slot))
        guard listed.contains(.rsaPKCSOAEP) else { return "CKM_RSA_PKCS_OAEP is not offered" }
        guard listed.contains(.rsaPKCSKeyPairGen) else { return "CKM_RSA_PKCS_KEY_PAIR_GEN is not offered" }
        let oaep = try module.mechanismInfo(.rsaPKCSOAEP, slot: slot)
        guard oaep.flags.contains(.unwrap) else { return "CKM_RSA_PKCS_OAEP cannot unwrap (no CKF_UNWRAP)" }
        let generation = try module.mechanismInfo(.rsaPKCSKeyPairGen, slot: slot)
        guard generation.minimumKeySize <= Self.importKeyBits, generation.maximumKeySize >= Self.importKeyBits else {
            return "RSA-\(Self.importKeyBits) key pairs cannot be generated (sizes \(generation.minimumKeySize)…"
                + "\(generation.maximumKeySize))"
        }
        return nil
    }

    /// Why the token cannot hold and check a transport key, or `nil` when it can.
    func transportKeyUnsupportedReason() throws(PKCS11Error) -> String? {
        let listed = Set(try module.mechanisms(slot))
        for mechanism in TransportKeyTemplate.allowedMechanisms where !listed.contains(mechanism) {
            return "\(mechanism) is not offered (a transport key wraps with it)"
        }
        return nil
    }

    /// Brings `key` into the HSM as the transport key labelled `label`, with the full template of
    /// ``TransportKeyTemplate``, and returns the new object.
    ///
    /// RSA-OAEP unwrap is used when the mechanism list offers it *and* a probe shows that the token
    /// unwraps with the complete transport template (a throwaway value, unwrapped as a session
    /// object); otherwise `C_CreateObject`. The choice is made before the key is touched: a failure
    /// with the key itself is never retried another way. The ephemeral RSA key pair and the probe
    /// are session objects, destroyed before returning. Objects a failed token call may leave
    /// (SoftHSM2 "ghosts") are the caller's to remove, with ``removeNewObjects(since:label:ours:)``.
    func importTransportKey(
        _ key: borrowing SecretBytes, label: String, preference: TransportKeyImportPreference, hsm: String,
        refused: Set<AttributeName> = []
    ) throws -> ImportedTransportKey {
        var fallbackReason: String?
        do {
            fallbackReason =
                preference == .createObject ? "C_CreateObject was requested" : try oaepUnwrapUnsupportedReason()
        } catch {
            throw TransportError.hsmFailure(
                hsm: hsm, operation: "reading the mechanism list", error: DeviceError(error), compensation: nil)
        }
        if fallbackReason == nil {
            switch try unwrapImport(
                key, label: label, hsm: hsm, force: preference == .rsaOAEPUnwrap, refused: refused)
            {
            case .imported(let imported):
                return imported
            case .unsupported(let reason):
                fallbackReason = reason
            }
        }
        do {
            let handle = try createObject(
                TransportKeyTemplate.attributes(label: label, omitting: refused), secretValue: key)
            return ImportedTransportKey(
                handle: handle, method: .createObject, importKeyFingerprint: nil, fallbackReason: fallbackReason)
        } catch {
            throw TransportError.hsmFailure(
                hsm: hsm, operation: "creating the transport key (C_CreateObject)", error: DeviceError(error),
                compensation: nil)
        }
    }

    private enum UnwrapImport {
        case imported(ImportedTransportKey)
        case unsupported(reason: String)
    }

    /// The RSA-OAEP path: ephemeral RSA-3072 pair in the HSM, probe, host-side encryption, unwrap.
    private func unwrapImport(
        _ key: borrowing SecretBytes, label: String, hsm: String, force: Bool, refused: Set<AttributeName>
    ) throws -> UnwrapImport {
        func failure(_ operation: String, _ error: PKCS11Error) -> TransportError {
            .hsmFailure(hsm: hsm, operation: operation, error: DeviceError(error), compensation: nil)
        }
        let pair: (publicKey: ObjectHandle, privateKey: ObjectHandle)
        do {
            pair = try generateKeyPair(
                .rsaKeyPairGen,
                publicKeyTemplate: [
                    .bool(.token, false), .ulong(.modulusBits, Self.importKeyBits),
                    .bytes(.publicExponent, [0x01, 0x00, 0x01]), .bool(.encrypt, false), .bool(.wrap, false),
                    .bool(.verify, false), .bool(.verifyRecover, false), .label("hsmsync-transport-import"),
                ],
                privateKeyTemplate: [
                    .bool(.token, false), .bool(.private, true), .bool(.sensitive, true), .bool(.extractable, false),
                    .bool(.unwrap, true), .bool(.decrypt, false), .bool(.sign, false), .bool(.signRecover, false),
                    .bool(.derive, false), .allowedMechanisms([.rsaPKCSOAEP]), .label("hsmsync-transport-import"),
                ])
        } catch {
            throw failure("generating the ephemeral RSA-\(Self.importKeyBits) import key", error)
        }
        defer {
            try? destroyObject(pair.privateKey)
            try? destroyObject(pair.publicKey)
        }

        let publicKey: _RSA.Encryption.PublicKey
        let fingerprint: String
        do {
            let set = try attributes([.modulus, .publicExponent], of: pair.publicKey)
            guard let modulus = set.bytes(.modulus), let exponent = set.bytes(.publicExponent) else {
                throw TransportError.hostFailure("\(hsm): the ephemeral RSA key's modulus cannot be read")
            }
            publicKey = try _RSA.Encryption.PublicKey(n: modulus, e: exponent)
            guard publicKey.keySizeInBits >= Int(Self.importKeyBits) else {
                throw TransportError.hostFailure(
                    "\(hsm): the ephemeral RSA key has \(publicKey.keySizeInBits) bits, not \(Self.importKeyBits)")
            }
            fingerprint = SubjectPublicKeyInfo.fingerprint(
                try SubjectPublicKeyInfo.rsa(modulus: modulus, publicExponent: exponent))
        } catch let error as PKCS11Error {
            throw failure("reading the ephemeral RSA key", error)
        } catch let error as TransportError {
            throw error
        } catch {
            throw TransportError.hostFailure("\(hsm): the ephemeral RSA key is unusable on the host: \(error)")
        }

        let hash: TransportKeyImportMethod.OAEPHash
        switch try probeOAEPUnwrap(publicKey, privateKey: pair.privateKey, hsm: hsm, refused: refused) {
        case .conforming(let probed):
            hash = probed
        case .nonconforming(let probed, _) where force:
            hash = probed
        case .nonconforming(_, let reason), .impossible(let reason):
            return .unsupported(reason: reason)
        }
        let padding: _RSA.Encryption.Padding = hash == .sha256 ? .PKCS1_OAEP_SHA256 : .PKCS1_OAEP
        let blob: [UInt8]
        do {
            blob = try key.withUnsafeBytes { bytes in Array(try publicKey.encrypt(bytes, padding: padding)) }
        } catch {
            throw TransportError.hostFailure("RSA-OAEP encryption of the transport key failed on the host: \(error)")
        }
        do {
            let handle = try unwrapKey(
                blob, with: pair.privateKey, mechanism: hash == .sha256 ? .rsaOAEPSHA256 : .rsaOAEPSHA1,
                template: TransportKeyTemplate.attributes(label: label, omitting: refused))
            return .imported(
                ImportedTransportKey(
                    handle: handle, method: .rsaOAEPUnwrap(hash: hash), importKeyFingerprint: fingerprint,
                    fallbackReason: nil))
        } catch {
            throw failure("unwrapping the transport key (C_UnwrapKey, CKM_RSA_PKCS_OAEP)", error)
        }
    }

    /// What an unwrap probe found.
    private enum UnwrapProbe {
        /// The token unwraps with this hash and the key meets the transport-key policy.
        case conforming(TransportKeyImportMethod.OAEPHash)
        /// The token unwraps, but the key it makes breaks the policy.
        case nonconforming(TransportKeyImportMethod.OAEPHash, reason: String)
        /// The token cannot unwrap a key with the transport template.
        case impossible(reason: String)
    }

    /// Finds out, with a throwaway value drawn from the HSM and unwrapped as a session object under
    /// the complete transport template, which OAEP hash the token accepts (SHA-256 first; SoftHSM2
    /// 2.6.1 answers `CKR_ARGUMENTS_BAD` and only SHA-1 is left, SECURITY.md P8, T26), and whether
    /// the key it makes meets the transport-key policy when read back (SoftHSM2 2.6.1 leaves
    /// `CKA_VALUE_LEN` at 0 after any `C_UnwrapKey`, so the key cannot be shown to be AES-256).
    private func probeOAEPUnwrap(
        _ publicKey: _RSA.Encryption.PublicKey, privateKey: ObjectHandle, hsm: String, refused: Set<AttributeName>
    ) throws -> UnwrapProbe {
        let dummy: SecretBytes
        do {
            dummy = try generateRandom(count: TransportKeyPolicy.keyByteCount)
        } catch {
            throw TransportError.hsmFailure(
                hsm: hsm, operation: "drawing random bytes for the OAEP probe", error: DeviceError(error),
                compensation: nil)
        }
        let templateCodes: [ReturnCode] = [
            .attributeReadOnly, .templateInconsistent, .templateIncomplete, .attributeValueInvalid,
            .attributeTypeInvalid,
        ]
        for hash in [TransportKeyImportMethod.OAEPHash.sha256, .sha1] {
            let blob: [UInt8]
            do {
                blob = try dummy.withUnsafeBytes {
                    Array(try publicKey.encrypt($0, padding: hash == .sha256 ? .PKCS1_OAEP_SHA256 : .PKCS1_OAEP))
                }
            } catch {
                throw TransportError.hostFailure("RSA-OAEP encryption failed on the host: \(error)")
            }
            let probe: ObjectHandle
            do {
                probe = try unwrapKey(
                    blob, with: privateKey, mechanism: hash == .sha256 ? .rsaOAEPSHA256 : .rsaOAEPSHA1,
                    template: TransportKeyTemplate.attributes(
                        label: "hsmsync-oaep-probe", token: false, omitting: refused))
            } catch  where [.argumentsBad, .mechanismParamInvalid, .mechanismInvalid].contains(error.code) {
                continue
            } catch  where templateCodes.contains(error.code) {
                return .impossible(reason: "the token refuses to unwrap a key with the transport template (\(error))")
            } catch {
                throw TransportError.hsmFailure(
                    hsm: hsm, operation: "probing RSA-OAEP unwrap with a throwaway value", error: DeviceError(error),
                    compensation: nil)
            }
            defer { try? destroyObject(probe) }
            let problems: [String]
            do {
                let record = try keyRecord(of: probe)
                problems =
                    (TransportKeyPolicy.violations(record)
                    + TransportKeyTemplate.lockdownViolations(
                        record, unwrapTemplate: try template(.unwrapTemplate, of: probe), refused: refused))
                    .filter { $0 != "is not a token object" }
            } catch {
                throw TransportError.hsmFailure(
                    hsm: hsm, operation: "reading the OAEP probe key back", error: DeviceError(error), compensation: nil
                )
            }
            guard problems.isEmpty else {
                return .nonconforming(
                    hash,
                    reason: "C_UnwrapKey with \(hash.rawValue) RSA-OAEP works, but the key it makes "
                        + problems.joined(separator: "; ")
                        + (problems.contains("is AES-?, not AES-256")
                            ? " (its CKA_VALUE_LEN is 0 after C_UnwrapKey, as on SoftHSM2 2.6.1)" : ""))
            }
            return .conforming(hash)
        }
        return .impossible(reason: "the token accepts neither SHA-256 nor SHA-1 RSA-OAEP")
    }

    /// The handles of this token's secret-key objects, to tell afterwards which ones a failed
    /// import left behind.
    func secretKeyHandles() throws(PKCS11Error) -> Set<ObjectHandle> {
        Set(try findObjects(matching: [.class(.secretKey), .bool(.token, true)]))
    }

    /// Destroys what this run provably created since `before`: the object `ours` (the key just
    /// imported, when there is one), and new secret-key token objects that are SoftHSM2 "ghosts"
    /// of a failed create or unwrap: no value (`CKA_VALUE_LEN` 0 or unreadable) and no label or
    /// `label` (SECURITY.md P14, T30). Anything else is left alone.
    ///
    /// - Returns: what was removed and what could not be, for the error message and the audit log.
    func removeNewObjects(since before: Set<ObjectHandle>, label: String, ours: ObjectHandle? = nil) -> String {
        guard let now = try? secretKeyHandles() else {
            return "the token could not be searched for objects the failed import may have left"
        }
        var removed = 0
        var kept: [String] = []
        for handle in now.subtracting(before) {
            guard let set = try? attributes([.label, .valueLength], of: handle) else { continue }
            let objectLabel = set.string(.label) ?? ""
            let isGhost = (objectLabel.isEmpty || objectLabel == label) && (set.ulong(.valueLength) ?? 0) == 0
            guard handle == ours || isGhost else { continue }
            do {
                try destroyObject(handle)
                removed += 1
            } catch {
                kept.append("\(error)")
            }
        }
        if !kept.isEmpty {
            return "\(kept.count) object(s) this run created could NOT be removed (\(kept.joined(separator: "; "))): "
                + "inspect the token"
        }
        return removed == 0
            ? "nothing was imported"
            : "the \(removed) object(s) this run had created were destroyed; nothing was imported"
    }
}
