import Crypto
import Foundation
import HSMSyncModel
import HSMSyncTesting
import PKCS11
import SignedLog
import Testing

@testable import HSMSyncCore
@testable import PKCS11Endpoint

@Suite("Transport key: ECDH agreement (SoftHSM2)")
struct TransportAgreementTests {
    @Test("agree: the same key on two HSMs, confirmed, locked down; CKD_NULL labelled; verify finds parity")
    func agree() async throws {
        let rig = try await TransportRig.make("ag-ok")
        let agreement = TransportKeyAgreement(label: rig.label, fleet: rig.fleet.name)
        let result = try await agreement.run(from: rig.workers[0], to: rig.workers[1])
        #expect(result.curve == "P-384")
        #expect(result.kdf == "CKD_NULL" && !result.isSP800_56C)
        #expect(result.warnings.contains { $0.contains("not an SP 800-56C key derivation") })
        #expect(result.from.hsm == "primary-1" && result.to.hsm == "dr-1")
        #expect(result.to.tokenSerial == rig.tokens[1].serialNumber)
        #expect(result.fromEphemeralPoint.count == 64 && result.fromEphemeralPoint != result.toEphemeralPoint)
        #expect(result.outcome == "agreed")
        for record in [result.fromRecord, result.toRecord] {
            #expect(record.usage == ["wrap", "unwrap"] && record.size == 256)
            #expect(record.attributes.modifiable == false && record.attributes.copyable == false)
            #expect(record.attributes.extractable == false && record.attributes.sensitive == true)
        }
        // Only the transport key remains: ephemeral keys, confirmation copies and probes are gone.
        #expect(try await rig.objectCount(0) == 1)
        #expect(try await rig.objectCount(1) == 1)

        let report = await rig.verify()
        #expect(report.status == "ok", "\(report.problems)")
        #expect(report.checkValue == result.checkValue)
        await rig.close()
    }

    @Test("agree refuses when either HSM already has the transport label; nothing is created on the other")
    func labelInUse() async throws {
        let rig = try await TransportRig.make("ag-l")
        let generated = try await generateKey(on: rig.workers[1], label: rig.label)
        _ = try await TransportKeyInstaller(label: rig.label).install(generated.material, on: rig.workers[1])
        let agreement = TransportKeyAgreement(label: rig.label, fleet: rig.fleet.name)
        await #expect {
            _ = try await agreement.run(from: rig.workers[0], to: rig.workers[1])
        } throws: { error in
            guard let error = error as? TransportError, case .labelInUse(let hsm, _, 1, _) = error else { return false }
            return hsm == "dr-1"
        }
        #expect(try await rig.objectCount(0) == 0)
        #expect(try await rig.objectCount(1) == 1)
        await rig.close()
    }

    @Test("a man in the middle swaps dr-1's view of primary-1's key: key confirmation fails, nothing is installed")
    func keyConfirmationFailure() async throws {
        let rig = try await TransportRig.make("ag-m")
        var agreement = TransportKeyAgreement(label: rig.label, fleet: rig.fleet.name)
        let mallory = Array(P384.KeyAgreement.PrivateKey().publicKey.x963Representation)
        agreement.interceptPeerKey = { receiver, key in
            receiver == "dr-1"
                ? EphemeralAgreementKey(ecPoint: mallory, ecParams: key.ecParams, supportsSHA256KDF: false) : key
        }
        await #expect {
            _ = try await agreement.run(from: rig.workers[0], to: rig.workers[1])
        } throws: { error in
            guard let error = error as? TransportError,
                case .keyConfirmationFailed(let from, let fromValue, let to, let toValue) = error
            else { return false }
            return from == "primary-1" && to == "dr-1" && fromValue != toValue && error.category == .integrity
        }
        #expect(try await rig.objectCount(0) == 0, "no key, no ephemeral key left on primary-1")
        #expect(try await rig.objectCount(1) == 0, "no key, no ephemeral key left on dr-1")
        await rig.close()
    }

    @Test("an off-curve point delivered in an agreement is refused before either HSM derives")
    func invalidPointInAgreement() async throws {
        let rig = try await TransportRig.make("ag-v")
        var agreement = TransportKeyAgreement(label: rig.label, fleet: rig.fleet.name)
        agreement.interceptPeerKey = { receiver, key in
            guard receiver == "primary-1" else { return key }
            var point = key.ecPoint
            point[point.count - 1] ^= 0x01
            return EphemeralAgreementKey(ecPoint: point, ecParams: key.ecParams, supportsSHA256KDF: false)
        }
        await #expect {
            _ = try await agreement.run(from: rig.workers[0], to: rig.workers[1])
        } throws: { error in
            guard let error = error as? TransportError, case .invalidPeerPoint("dr-1", let reason) = error else {
                return false
            }
            return reason == "the point is not on P-384"
        }
        #expect(try await rig.objectCount(0) == 0)
        #expect(try await rig.objectCount(1) == 0)
        await rig.close()
    }

    @Test(
        "a bad peer point is refused before C_DeriveKey: nothing is derived",
        arguments: [
            ("off the curve", "not on P-384"), ("infinity", "point at infinity"),
            ("P-256 point", "not an uncompressed P-384"),
            ("P-256 parameters", "on P-256, not P-384"), ("zero", "the point (0, 0)"),
        ])
    func badPeerPoint(kind: String, expected: String) async throws {
        let rig = try await TransportRig.make("ag-p", count: 1)
        let id: [UInt8] = Array(repeating: 7, count: 16)
        _ = try await rig.workers[0].withSession { try $0.makeEphemeralKey(curve: .p384, id: id, hsm: "primary-1") }
        let before = try await rig.objectCount(0)
        let good = Array(P384.KeyAgreement.PrivateKey().publicKey.x963Representation)
        let peer: EphemeralAgreementKey
        switch kind {
        case "off the curve":
            var point = good
            point[point.count - 1] ^= 0x01
            peer = EphemeralAgreementKey(
                ecPoint: point, ecParams: AgreementCurve.p384.ecParams, supportsSHA256KDF: false)
        case "infinity":
            peer = EphemeralAgreementKey(ecPoint: [0x04, 0x01, 0x00], ecParams: nil, supportsSHA256KDF: false)
        case "P-256 point":
            let point = Array(P256.KeyAgreement.PrivateKey().publicKey.x963Representation)
            peer = EphemeralAgreementKey(ecPoint: point, ecParams: nil, supportsSHA256KDF: false)
        case "P-256 parameters":
            peer = EphemeralAgreementKey(
                ecPoint: good, ecParams: AgreementCurve.p256.ecParams, supportsSHA256KDF: false)
        default:
            peer = EphemeralAgreementKey(
                ecPoint: [0x04] + Array(repeating: 0, count: 96), ecParams: nil, supportsSHA256KDF: false)
        }
        await #expect {
            _ = try await rig.workers[0].withSession { session in
                try session.deriveAgreedKey(
                    ephemeralID: id, peer: peer, peerName: "dr-1", curve: .p384, kdf: .null, sharedData: [],
                    label: rig.label, token: true, hsm: "primary-1"
                ).checkValue
            }
        } throws: { error in
            guard let error = error as? TransportError, case .invalidPeerPoint("dr-1", let reason) = error else {
                return false
            }
            return reason.contains(expected) && error.category == .integrity
        }
        #expect(try await rig.objectCount(0) == before, "no key was derived")
        // The same ephemeral key derives happily from a valid point.
        let valid = EphemeralAgreementKey(ecPoint: good, ecParams: nil, supportsSHA256KDF: false)
        let derived = try await rig.workers[0].withSession { session in
            try session.deriveAgreedKey(
                ephemeralID: id, peer: valid, peerName: "dr-1", curve: .p384, kdf: .null, sharedData: [],
                label: "t", token: false, hsm: "primary-1"
            ).checkValue
        }
        #expect(derived.count == 16)
        await rig.close()
    }
}

@Suite("EC peer point validation (R11, T25)")
struct ECPeerPointTests {
    static let p384 = Array(P384.KeyAgreement.PrivateKey().publicKey.x963Representation)
    static let p256 = Array(P256.KeyAgreement.PrivateKey().publicKey.x963Representation)

    func reason(_ point: [UInt8], params: [UInt8]? = nil, curve: AgreementCurve = .p384) -> String? {
        do {
            _ = try ECPeerPoint.validate(ecPoint: point, ecParams: params, curve: curve, hsm: "peer")
            return nil
        } catch {
            guard case .invalidPeerPoint("peer", let reason) = error else { return "wrong error \(error)" }
            return reason
        }
    }

    @Test("valid points pass, raw or DER-wrapped, and come back raw")
    func valid() throws {
        #expect(try ECPeerPoint.validate(ecPoint: Self.p384, ecParams: nil, curve: .p384, hsm: "x") == Self.p384)
        let wrapped = [0x04, 0x61] + Self.p384
        #expect(
            try ECPeerPoint.validate(ecPoint: wrapped, ecParams: AgreementCurve.p384.ecParams, curve: .p384, hsm: "x")
                == Self.p384)
        #expect(
            try ECPeerPoint.validate(ecPoint: [0x04, 0x41] + Self.p256, ecParams: nil, curve: .p256, hsm: "x")
                == Self.p256)
    }

    @Test("off the curve")
    func offCurve() {
        var point = Self.p384
        point[60] ^= 0x80
        #expect(reason(point) == "the point is not on P-384")
        var small = Self.p256
        small[64] ^= 0x01
        #expect(reason(small, curve: .p256) == "the point is not on P-256")
    }

    @Test("the point at infinity and (0, 0)")
    func infinity() {
        #expect(reason([0x00]) == "it is the point at infinity")
        #expect(reason([0x04, 0x01, 0x00]) == "it is the point at infinity")
        #expect(reason([0x04] + Array(repeating: 0, count: 96))?.hasPrefix("it is the point (0, 0)") == true)
    }

    @Test("the wrong curve, by length or by parameters; compressed and garbage")
    func wrongCurve() {
        #expect(reason(Self.p256)?.hasPrefix("65 bytes are not an uncompressed P-384 point") == true)
        #expect(reason(Self.p384, params: AgreementCurve.p256.ecParams) == "the key is on P-256, not P-384")
        #expect(reason(Self.p384, params: [0x06, 0x03, 0x2b, 0x65, 0x70]) == "the key is on Ed25519, not P-384")
        var compressed = Array(Self.p384.prefix(49))
        compressed[0] = 0x02
        #expect(reason(compressed)?.contains("not an uncompressed P-384 point") == true)
        var hybrid = Self.p384
        hybrid[0] = 0x06
        #expect(reason(hybrid) == "the point is not in uncompressed form")
    }
}
