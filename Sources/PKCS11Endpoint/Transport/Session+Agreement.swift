import Crypto
import Foundation
import HSMSyncModel
import PKCS11
import SignedLog

extension Session {
    /// Label of the ephemeral EC keys (session objects) an agreement makes.
    static let ephemeralLabel = "hsmsync-ecdh-ephemeral"

    /// The agreement curves this token can generate and derive with, or why none.
    func agreementCurves() throws(PKCS11Error) -> (curves: Set<AgreementCurve>, missing: String?) {
        let listed = Set(try module.mechanisms(slot))
        for mechanism in [MechanismType.ecKeyPairGen, .ecdh1Derive] + TransportKeyTemplate.allowedMechanisms
        where !listed.contains(mechanism) {
            return ([], "\(mechanism) is not offered")
        }
        let generation = try module.mechanismInfo(.ecKeyPairGen, slot: slot)
        let derive = try module.mechanismInfo(.ecdh1Derive, slot: slot)
        guard generation.flags.contains(.generateKeyPair) else {
            return ([], "CKM_EC_KEY_PAIR_GEN cannot generate key pairs")
        }
        guard derive.flags.contains(.derive) else { return ([], "CKM_ECDH1_DERIVE cannot derive (no CKF_DERIVE)") }
        let low = max(generation.minimumKeySize, derive.minimumKeySize)
        let high = min(generation.maximumKeySize, derive.maximumKeySize)
        let curves = Set(AgreementCurve.allCases.filter { low <= $0.bits && $0.bits <= high })
        return (curves, curves.isEmpty ? "no EC curve of at least 256 bits (key sizes \(low)…\(high))" : nil)
    }

    /// Generates the ephemeral key pair for an agreement (session objects; the private key may only
    /// derive, is sensitive and never extractable), validates its own point and probes whether the
    /// token derives with `CKD_SHA256_KDF` by a throwaway agreement of the key with itself.
    func makeEphemeralKey(curve: AgreementCurve, id: [UInt8], hsm: String) throws -> EphemeralAgreementKey {
        func failure(_ operation: String, _ error: PKCS11Error) -> TransportError {
            .hsmFailure(hsm: hsm, operation: operation, error: DeviceError(error), compensation: nil)
        }
        let pair: (publicKey: ObjectHandle, privateKey: ObjectHandle)
        do {
            pair = try generateKeyPair(
                .ecKeyPairGen,
                publicKeyTemplate: [
                    .bytes(.ecParams, curve.ecParams), .bool(.token, false), .bool(.verify, false),
                    .bool(.encrypt, false), .bool(.wrap, false), .bool(.derive, false), .label(Self.ephemeralLabel),
                    .id(id),
                ],
                privateKeyTemplate: [
                    .bool(.token, false), .bool(.private, true), .bool(.sensitive, true), .bool(.extractable, false),
                    .bool(.derive, true), .bool(.sign, false), .bool(.decrypt, false), .bool(.unwrap, false),
                    .allowedMechanisms([.ecdh1Derive]), .label(Self.ephemeralLabel), .id(id),
                ])
        } catch {
            throw failure("generating an ephemeral \(curve.rawValue) key pair", error)
        }
        let set: AttributeSet
        do {
            set = try attributes([.ecPoint, .ecParams], of: pair.publicKey)
        } catch {
            throw failure("reading the ephemeral public key", error)
        }
        guard let point = set.bytes(.ecPoint) else {
            throw TransportError.invalidPeerPoint(hsm: hsm, reason: "its ephemeral key has no readable CKA_EC_POINT")
        }
        let ownPoint = try ECPeerPoint.validate(ecPoint: point, ecParams: set.bytes(.ecParams), curve: curve, hsm: hsm)
        let supportsSHA256KDF: Bool
        do {
            let probe = try deriveKey(
                from: pair.privateKey,
                mechanism: .ecdh1Derive(peerPoint: ownPoint, kdf: .sha256, sharedData: Array(repeating: 0, count: 32)),
                template: [
                    .class(.secretKey), .keyType(.genericSecret), .ulong(.valueLength, 32), .bool(.token, false),
                    .bool(.sensitive, true), .bool(.extractable, false), .bool(.sign, false), .bool(.verify, false),
                    .bool(.derive, false), .label("hsmsync-kdf-probe"),
                ])
            try? destroyObject(probe)
            supportsSHA256KDF = true
        } catch  where [.mechanismParamInvalid, .argumentsBad, .mechanismInvalid].contains(error.code) {
            supportsSHA256KDF = false
        } catch {
            throw failure("probing CKD_SHA256_KDF with a throwaway agreement", error)
        }
        return EphemeralAgreementKey(
            ecPoint: point, ecParams: set.bytes(.ecParams), supportsSHA256KDF: supportsSHA256KDF)
    }

    /// Derives the agreed transport key from this HSM's ephemeral key (found by `id`) and the
    /// peer's public key, which is validated first: an invalid point never reaches `C_DeriveKey`.
    ///
    /// - Parameters:
    ///   - token: `false` for the key-confirmation copy (a session object), `true` for the transport key.
    /// - Returns: the new key and its transport check value.
    func deriveAgreedKey(
        ephemeralID id: [UInt8], peer: EphemeralAgreementKey, peerName: String, curve: AgreementCurve,
        kdf: AgreementKDF, sharedData: [UInt8], label: String, token: Bool, hsm: String,
        refused: Set<AttributeName> = []
    ) throws -> (handle: ObjectHandle, checkValue: String) {
        let peerPoint = try ECPeerPoint.validate(
            ecPoint: peer.ecPoint, ecParams: peer.ecParams, curve: curve, hsm: peerName)
        let base: ObjectHandle
        do {
            let found = try findObjects(matching: [.class(.privateKey), .id(id), .bool(.token, false)])
            guard found.count == 1 else {
                throw TransportError.hostFailure("\(hsm): the ephemeral key of this agreement is gone")
            }
            base = found[0]
        } catch let error as PKCS11Error {
            throw TransportError.hsmFailure(
                hsm: hsm, operation: "finding the ephemeral key", error: DeviceError(error), compensation: nil)
        }
        let key: ObjectHandle
        do {
            key = try deriveKey(
                from: base,
                mechanism: .ecdh1Derive(
                    peerPoint: peerPoint, kdf: kdf == .sha256 ? .sha256 : .null, sharedData: sharedData),
                template: [.ulong(.valueLength, UInt(TransportKeyPolicy.keyByteCount))]
                    + TransportKeyTemplate.attributes(label: label, token: token, omitting: refused))
        } catch {
            throw TransportError.hsmFailure(
                hsm: hsm, operation: "deriving the agreed key (C_DeriveKey, CKM_ECDH1_DERIVE)",
                error: DeviceError(error),
                compensation: nil)
        }
        do {
            return (key, try transportCheckValue(of: key))
        } catch {
            try? destroyObject(key)
            throw TransportError.hsmFailure(
                hsm: hsm, operation: "computing the agreed key's check value", error: DeviceError(error),
                compensation: "the derived key was destroyed")
        }
    }

    /// Destroys this agreement's ephemeral key pair (best effort: they are session objects and
    /// vanish with the session anyway).
    func destroyEphemeralKey(id: [UInt8]) {
        for handle in (try? findObjects(matching: [.id(id), .bool(.token, false), .label(Self.ephemeralLabel)])) ?? [] {
            try? destroyObject(handle)
        }
    }
}
