import Foundation
import HSMSyncModel
import HSMSyncTesting
import PKCS11
import PKCS11Endpoint
import SecureMemory
import SignedLog
import Testing

@testable import HSMSyncCore

/// The replication protocol on real SoftHSM2 tokens: AES, EC and RSA keys wrapped, enveloped,
/// staged, proven, promoted; tampered envelopes and blobs rejected with nothing written; bad or
/// differing transport keys refused before anything is wrapped.
@Suite("Replication core (SoftHSM2)")
struct KeyReplicatorTests {
    static let aes = KeyIdentity(objectClass: "secret-key", label: "aes-1", id: "01")
    static let ec = KeyIdentity(objectClass: "private-key", label: "ec-1", id: "02")
    static let ecPublic = KeyIdentity(objectClass: "public-key", label: "ec-1", id: "02")
    static let rsa = KeyIdentity(objectClass: "private-key", label: "rsa-1", id: "03")
    static let rsaPublic = KeyIdentity(objectClass: "public-key", label: "rsa-1", id: "03")

    /// Primary with a non-modifiable AES key, an EC pair and an RSA pair (all extractable, no WRAP_WITH_TRUSTED);
    /// the secondary empty; both with the same transport key unless told otherwise.
    static func rig(_ hint: String, secondaryTransport: [Attribute]? = nil, otherValue: Bool = false) async throws
        -> ReplicationRig
    {
        try await ReplicationRig.make(hint) { index, session in
            if index == 0 {
                try session.installTestTransportKey()
                // Non-modifiable, as ceremonies make CA keys: SoftHSM2 will not C_CopyObject it.
                try session.importTestAESKey(
                    label: "aes-1", id: [1], value: TestMaterial.aesKey(1), wrapWithTrusted: false,
                    extra: [.bool(.modifiable, false)])
                try session.importTestECPair(
                    label: "ec-1", id: [2], key: TestMaterial.ecKey(2), extractable: true,
                    privateExtra: [.bool(.wrapWithTrusted, false)])
                try session.generateTestRSAPair(label: "rsa-1", id: [3])
            } else if let secondaryTransport {
                _ = try session.createObject(
                    secondaryTransport, secretValue: SecretBytes(copying: TestMaterial.transportKey))
            } else {
                try session.installTestTransportKey(
                    otherValue ? TestMaterial.otherTransportKey : TestMaterial.transportKey)
            }
        }
    }

    static func checkValue(_ worker: HSMWorker, _ fleet: Fleet) async throws -> String {
        let scan = try await worker.scanToken(transportLabel: fleet.transport.label, scope: fleet.keys)
        return try #require(scan.transport.checkValue)
    }

    static func fingerprint(_ worker: HSMWorker, _ identity: KeyIdentity, _ fleet: Fleet) async throws -> Fingerprint {
        let scan = try await worker.scanToken(transportLabel: fleet.transport.label, scope: fleet.keys)
        return try #require(scan.objects.first { $0.identity == identity }).fingerprint
    }

    static func envelope(_ rig: ReplicationRig, _ identity: KeyIdentity, publicKey: KeyIdentity? = nil) async throws
        -> KeyEnvelope
    {
        let checkValue = try await checkValue(rig.primary, rig.fleet)
        let fingerprint = try await fingerprint(rig.primary, identity, rig.fleet)
        return try await KeyReplicator().seal(
            identity, publicKey: publicKey, fingerprint: fingerprint, on: rig.primary, transportCheckValue: checkValue,
            opID: UUID().uuidString)
    }

    @Test("AES, EC and RSA keys replicate; the copies have the source's material and attributes")
    func replicatesEveryKind() async throws {
        let rig = try await Self.rig("rep-ok")
        #expect(try await rig.findings().filter { $0.hasPrefix("missing dr-1") }.count == 5)
        // Scans dr-1: install checks envelopes against this scan's transport check value.
        _ = try await Self.checkValue(rig.secondary, rig.fleet)
        let replicator = KeyReplicator()
        for (identity, publicKey) in [(Self.aes, nil), (Self.ec, Self.ecPublic), (Self.rsa, Self.rsaPublic)] {
            let envelope = try await Self.envelope(rig, identity, publicKey: publicKey)
            #expect(envelope.mechanism == (identity == Self.aes ? "CKM_AES_KEY_WRAP" : "CKM_AES_KEY_WRAP_PAD"))
            let installed = try await replicator.install(envelope, on: rig.secondary)
            #expect(installed.promoted.first == identity)
            #expect(installed.proofs.contains("rewrap"))
            if identity == Self.ec { #expect(installed.proofs.contains("sign-verify")) }
        }
        // Same identities, same fingerprints, same policy attributes: no finding but policy lint.
        #expect(try await rig.findings() == [])
        for identity in [Self.aes, Self.ec, Self.rsa] {
            let source = try await Self.fingerprint(rig.primary, identity, rig.fleet)
            let copy = try await Self.fingerprint(rig.secondary, identity, rig.fleet)
            #expect(source.digest != nil && source == copy, "\(identity)")
        }
        // Staged session objects are gone: the session sees token objects only (1 transport + 5 keys).
        #expect(try await rig.objectCount(rig.secondary) == 6)
        await rig.close()
    }

    @Test("A tampered envelope is rejected before unwrapping; the destination's object count is unchanged")
    func tamperedEnvelope() async throws {
        let rig = try await Self.rig("rep-tamper")
        let destinationValue = try await Self.checkValue(rig.secondary, rig.fleet)
        let envelope = try await Self.envelope(rig, Self.aes)
        let before = try await rig.objectCount(rig.secondary)
        let json = String(decoding: try envelope.encoded(), as: UTF8.self)

        // A widened usage flag, a changed label, a flipped blob bit: each breaks the seal.
        let widened = json.replacingOccurrences(of: "\"CKA_DECRYPT\":false", with: "\"CKA_DECRYPT\":true")
        let relabelled = json.replacingOccurrences(of: "\"label\":\"aes-1\"", with: "\"label\":\"evil\"")
        let blob = envelope.wrappedKey
        let flipped = blob.prefix(10) + (blob.dropFirst(10).first == "0" ? "1" : "0") + blob.dropFirst(11)
        let bitFlip = json.replacingOccurrences(of: blob, with: String(flipped))
        for tampered in [widened, relabelled, bitFlip] {
            #expect(tampered != json)
            let decoded = try KeyEnvelope.decode(Data(tampered.utf8))
            await #expect(throws: ReplicationError.self) {
                try await KeyReplicator().install(decoded, on: rig.secondary)
            }
            do {
                try decoded.verify(transportCheckValue: destinationValue)
                Issue.record("verified a tampered envelope")
            } catch {
                #expect(error.reason == "envelope", "\(error)")
            }
        }
        // A truncated blob with a recomputed seal: caught by length and the fingerprint binding.
        let truncated = KeyEnvelope(
            opID: envelope.opID, source: envelope.source, key: envelope.key, publicKey: nil,
            fingerprint: envelope.fingerprint, transportCheckValue: envelope.transportCheckValue,
            mechanism: envelope.mechanism, wrappedKey: Array(envelope.wrappedKeyBytes.dropLast(8)))
        #expect(throws: ReplicationError.self) { try truncated.verify(transportCheckValue: destinationValue) }
        #expect(try await rig.objectCount(rig.secondary) == before)
        await rig.close()
    }

    @Test("A tampered blob that passes the envelope checks fails C_UnwrapKey: a security event, nothing left behind")
    func tamperedBlobAtUnwrap() async throws {
        let rig = try await Self.rig("rep-blob")
        _ = try await Self.checkValue(rig.secondary, rig.fleet)
        let envelope = try await Self.envelope(rig, Self.aes)
        var blob = envelope.wrappedKeyBytes
        blob[12] ^= 0x01
        // An attacker who re-seals everything and drops the fingerprint (so nothing binds the blob).
        let forged = KeyEnvelope(
            opID: envelope.opID, source: envelope.source, key: envelope.key, publicKey: nil,
            fingerprint: .unavailable(reason: "forged"), transportCheckValue: envelope.transportCheckValue,
            mechanism: envelope.mechanism, wrappedKey: blob)
        let before = try await rig.objectCount(rig.secondary)
        do {
            _ = try await KeyReplicator().install(forged, on: rig.secondary)
            Issue.record("a tampered blob was installed")
        } catch {
            #expect(error.reason == "integrity", "\(error)")
            #expect(error.isSecurityEvent)
        }
        #expect(try await rig.objectCount(rig.secondary) == before)
        await rig.close()
    }

    @Test(
        "A transport key that may decrypt, encrypt, sign or be modified is refused before any wrap, named",
        arguments: [
            (AttributeType.decrypt, "decrypt"), (.encrypt, "encrypt"), (.sign, "sign"), (.modifiable, "modifiable"),
        ])
    func weakTransportKey(attribute: AttributeType, word: String) async throws {
        var template: [Attribute] = [
            .class(.secretKey), .keyType(.aes), .bool(.token, true), .bool(.private, true),
            .label("hsmsync-transport"), .bool(.wrap, true), .bool(.unwrap, true), .bool(.encrypt, false),
            .bool(.decrypt, false), .bool(.sign, false), .bool(.verify, false), .bool(.derive, false),
            .bool(.extractable, false), .bool(.sensitive, true), .bool(.copyable, false), .bool(.modifiable, false),
        ]
        template.removeAll { $0.type == attribute }
        template.insert(.bool(attribute, true), at: 5)
        let rig = try await Self.rig("rep-weak", secondaryTransport: template)
        let envelope = try await Self.envelope(rig, Self.aes)
        let before = try await rig.objectCount(rig.secondary)
        do {
            _ = try await KeyReplicator().install(envelope, on: rig.secondary)
            Issue.record("a weak transport key was used")
        } catch {
            #expect(error.reason == "transport", "\(error)")
            #expect(error.description.contains("dr-1") && error.description.contains(word), "\(error)")
        }
        #expect(try await rig.objectCount(rig.secondary) == before)
        await rig.close()
    }

    @Test("A destination transport key with another value is detected by check value before unwrapping")
    func differingTransportKey() async throws {
        let rig = try await Self.rig("rep-diff", otherValue: true)
        let destinationValue = try await Self.checkValue(rig.secondary, rig.fleet)
        let envelope = try await Self.envelope(rig, Self.aes)
        #expect(destinationValue != envelope.transportCheckValue)
        do {
            _ = try await KeyReplicator().install(envelope, on: rig.secondary)
            Issue.record("installed under a different transport key")
        } catch {
            guard case .transportKeysDiffer = error else { Issue.record("\(error)"); return }
        }
        await rig.close()
    }

    @Test("requireWrapWithTrusted refuses a key without CKA_WRAP_WITH_TRUSTED before wrapping it")
    func policyRefusal() async throws {
        let rig = try await Self.rig("rep-pol")
        let checkValue = try await Self.checkValue(rig.primary, rig.fleet)
        do {
            _ = try await KeyReplicator(policy: ReplicationPolicy(requireWrapWithTrusted: true)).seal(
                Self.aes, publicKey: nil, fingerprint: .unavailable(reason: "-"), on: rig.primary,
                transportCheckValue: checkValue, opID: "op")
            Issue.record("a key without WRAP_WITH_TRUSTED was wrapped")
        } catch {
            #expect(error.reason == "policy", "\(error)")
        }
        await rig.close()
    }
}
