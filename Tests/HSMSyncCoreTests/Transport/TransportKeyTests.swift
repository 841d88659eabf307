import Foundation
import HSMSyncModel
import HSMSyncTesting
import PKCS11
import PKCS11Endpoint
import SLIP39
import SecureMemory
import SignedLog
import Testing

@testable import HSMSyncCore

@Suite("Transport key: create and install (SoftHSM2)")
struct TransportKeyTests {
    @Test("create: HSM randomness split M of N, installed locked down, read back with the host's check value")
    func create() async throws {
        let rig = try await TransportRig.make("tk-c", count: 1)
        let worker = rig.workers[0]
        let before = try await rig.objectCount(0)
        let generated = try await generateKey(on: worker, label: rig.label, threshold: 3, count: 5)
        #expect(try await rig.objectCount(0) == before, "generating changes nothing on the HSM")
        #expect(generated.shares.count == 5)
        #expect(Set(generated.shares.map(\.metadata.identifier)).count == 1)
        #expect(generated.shares.allSatisfy { $0.metadata.memberThreshold == 3 && $0.metadata.groupCount == 1 })
        #expect(generated.shares.map(\.metadata.memberIndex) == [0, 1, 2, 3, 4])
        #expect(
            generated.summary.shareSet
                == ShareSetSummary(
                    identifier: generated.shares[0].metadata.identifier, threshold: 3, count: 5, sharesEntered: nil))

        let result = try await TransportKeyInstaller(label: rig.label).install(generated.material, on: worker)
        #expect(try await rig.objectCount(0) == before + 1, "one key; no RSA key pair or probe left behind")
        #expect(result.checkValue == generated.material.checkValue)
        #expect(result.kcv == generated.material.kcv.hex)
        #expect(result.hsm.hsm == "primary-1")
        #expect(result.hsm.tokenSerial == rig.tokens[0].serialNumber)
        #expect(result.outcome == "installed")
        // SoftHSM2 2.6.1 unwraps with SHA-1 OAEP only, and leaves CKA_VALUE_LEN at 0 after an unwrap:
        // the probe sees that and the key is created instead.
        #expect(result.importMethod == .createObject)
        #expect(result.warnings.contains { $0.contains("SHA-1 RSA-OAEP works") && $0.contains("CKA_VALUE_LEN is 0") })

        let record = result.record
        #expect(record.objectClass == "secret-key" && record.keyType == "aes" && record.size == 256)
        #expect(record.usage == ["wrap", "unwrap"])
        #expect(record.attributes.sensitive == true && record.attributes.extractable == false)
        #expect(record.attributes.modifiable == false && record.attributes.copyable == false)
        #expect(record.attributes.private == true && record.attributes.token == true)
        #expect(record.allowedMechanisms == ["CKM_AES_KEY_WRAP", "CKM_AES_KEY_WRAP_PAD"])
        let (inspection, unwrapTemplate) = try await worker.withSession { session in
            let handle = try session.findObject(matching: [.label(rig.label)])
            return (
                try session.inspectTransportKey(label: rig.label), try session.template(.unwrapTemplate, of: handle)
            )
        }
        #expect(inspection.isSound && inspection.violations.isEmpty)
        #expect(unwrapTemplate == [.bool(.sensitive, true)])

        // Every 3 of the 5 shares rebuild the key.
        let mnemonics = generated.mnemonics
        for subset in [[0, 1, 2], [0, 2, 4], [1, 3, 4], [2, 3, 4]] {
            var recovery = ShareRecovery()
            for index in subset { try recovery.add(SecretBytes(text: mnemonics[index])) }
            let material = try TransportKeyMaterial.recover(from: recovery)
            #expect(material.checkValue == result.checkValue && material.kcv == generated.material.kcv)
        }
        await rig.close()
    }

    @Test("install: M of N shares on a second HSM; verify finds parity")
    func installOnSecondHSM() async throws {
        let rig = try await TransportRig.make("tk-i")
        let generated = try await generateKey(on: rig.workers[0], label: rig.label)
        _ = try await TransportKeyInstaller(label: rig.label).install(generated.material, on: rig.workers[0])
        let mnemonics = generated.mnemonics
        let result = try await installFromShares(
            [mnemonics[2], mnemonics[0]], on: rig.workers[1], label: rig.label, expectedKCV: generated.material.kcv)
        #expect(result.checkValue == generated.material.checkValue)
        #expect(result.shareSet.sharesEntered == 2 && result.shareSet.threshold == 2 && result.shareSet.count == nil)
        #expect(try await rig.objectCount(1) == 1)

        let report = await rig.verify()
        #expect(report.status == "ok", "\(report.problems)")
        #expect(report.failureCategory == nil)
        #expect(report.checkValue == generated.material.checkValue)
        #expect(report.hsms.map(\.matches) == [true, true])
        await rig.close()
    }

    @Test("more than M shares with one tampered: the bad share is named, nothing imported")
    func tamperedExtraShare() async throws {
        let rig = try await TransportRig.make("tk-t", count: 1)
        let generated = try await generateKey(on: rig.workers[0], label: rig.label, threshold: 2, count: 4)
        var mnemonics = generated.mnemonics
        mnemonics[1] = try tamperedValue(of: mnemonics[1], byte: 5)
        await #expect {
            _ = try await installFromShares(Array(mnemonics[0...2]), on: rig.workers[0], label: rig.label)
        } throws: { error in
            "\(error)".hasPrefix("entry 2 disagrees with entries 1 and 3, which combine into a verified secret")
        }
        #expect(try await rig.objectCount(0) == 0)
        await rig.close()
    }

    enum ShareAbuse: String, CaseIterable, Sendable {
        case duplicate, foreignSet, tooFew, flippedChecksumWord, wrongThreshold, tamperedExactlyM
    }

    @Test("bad shares are refused with a precise message and nothing is imported", arguments: ShareAbuse.allCases)
    func badShares(_ abuse: ShareAbuse) async throws {
        let rig = try await TransportRig.make("tk-b", count: 1)
        let generated = try await generateKey(on: rig.workers[0], label: rig.label, threshold: 2, count: 3)
        let other = try await generateKey(on: rig.workers[0], label: rig.label, threshold: 2, count: 3)
        let shares = generated.mnemonics
        let given: [String]
        let expected: String
        switch abuse {
        case .duplicate:
            (given, expected) = ([shares[0], shares[0]], "entry 2 is entry 1 entered again")
        case .foreignSet:
            (given, expected) = ([shares[0], other.mnemonics[1]], "entry 2 belongs to another share set")
        case .tooFew:
            (given, expected) = ([shares[1]], "1 share was entered; 2 are needed")
        case .flippedChecksumWord:
            var words = shares[1].split(separator: " ").map(String.init)
            words[words.count - 1] = words[words.count - 1] == "academic" ? "acid" : "academic"
            (given, expected) = ([shares[0], words.joined(separator: " ")], "entry 2 fails its checksum")
        case .wrongThreshold:
            (given, expected) = (
                [shares[0], try altered(shares[1], memberThreshold: 3)],
                "entry 2 does not match entry 1: 3 shares needed where entry 1 has 2 shares needed"
            )
        case .tamperedExactlyM:
            (given, expected) = (
                [shares[0], try tamperedValue(of: shares[1])], "entries 1 and 2 do not combine into the shared secret"
            )
        }
        let before = try await rig.objectCount(0)
        await #expect {
            _ = try await installFromShares(given, on: rig.workers[0], label: rig.label)
        } throws: { error in
            (error as? ShareError)?.description.hasPrefix(expected) == true
        }
        #expect(try await rig.objectCount(0) == before)
        await rig.close()
    }

    @Test("a key check value that differs from the ceremony record: nothing imported")
    func kcvMismatch() async throws {
        let rig = try await TransportRig.make("tk-k", count: 1)
        let generated = try await generateKey(on: rig.workers[0], label: rig.label)
        let recorded = try KeyCheckValue(hex: "0011223344")
        await #expect {
            _ = try await installFromShares(
                Array(generated.mnemonics.prefix(2)), on: rig.workers[0], label: rig.label, expectedKCV: recorded)
        } throws: { error in
            guard let error = error as? KeyCheckValueError, case .mismatch = error else { return false }
            return error.category == .integrity && "\(error)".contains("the ceremony record says 0011223344")
        }
        #expect(try await rig.objectCount(0) == 0)
        await rig.close()
    }

    @Test("shares of a 128-bit secret are not a transport key")
    func notAES256() throws {
        var recovery = ShareRecovery()
        let shares = try ShareSplitter.split(
            masterSecret: SecretBytes(copying: [UInt8](repeating: 3, count: 16)), threshold: 2, count: 2,
            random: SystemRandomSource())
        for share in shares { try recovery.add(share) }
        #expect(throws: TransportError.notAnAES256Key(bits: 128)) {
            _ = try TransportKeyMaterial.recover(from: recovery)
        }
    }

    @Test("create, install and preflight refuse an HSM that already has the transport label; nothing changes")
    func labelInUse() async throws {
        let rig = try await TransportRig.make("tk-l", count: 1)
        let generated = try await generateKey(on: rig.workers[0], label: rig.label)
        // Someone else's key under the label, with DECRYPT.
        try await rig.createKey(
            0,
            [
                .class(.secretKey), .keyType(.aes), .bool(.token, true), .label(rig.label), .bool(.wrap, true),
                .bool(.unwrap, true), .bool(.decrypt, true),
            ], value: generated.material)
        let before = try await rig.objectCount(0)
        let refusal: (any Error) -> Bool = { error in
            guard let error = error as? TransportError, case .labelInUse = error else { return false }
            return error.category == .invalidInput && "\(error)".contains("may also encrypt, decrypt")
                && "\(error)".hasPrefix("primary-1: an object with the transport label \"hsmsync-transport\"")
        }
        await #expect(performing: { _ = try await generateKey(on: rig.workers[0], label: rig.label) }, throws: refusal)
        await #expect(
            performing: { try await TransportKeyInstaller(label: rig.label).preflight(on: rig.workers[0]) },
            throws: refusal)
        await #expect(
            performing: {
                _ = try await TransportKeyInstaller(label: rig.label).install(generated.material, on: rig.workers[0])
            }, throws: refusal)
        #expect(try await rig.objectCount(0) == before)
        await rig.close()
    }

    @Test("C_CreateObject on request gives the same key and attributes")
    func createObjectPreference() async throws {
        let rig = try await TransportRig.make("tk-o", count: 1)
        let generated = try await generateKey(on: rig.workers[0], label: rig.label)
        let result = try await TransportKeyInstaller(label: rig.label, preference: .createObject)
            .install(generated.material, on: rig.workers[0])
        #expect(result.importMethod == .createObject && result.importKeyFingerprint == nil)
        #expect(result.warnings.contains { $0.contains("C_CreateObject was requested") })
        #expect(result.checkValue == generated.material.checkValue)
        #expect(await rig.verify().status == "ok")
        await rig.close()
    }

    @Test("RSA-OAEP unwrap forced on SoftHSM2: the read-back catches CKA_VALUE_LEN=0 and removes the key")
    func forcedUnwrapIsCaught() async throws {
        let rig = try await TransportRig.make("tk-u", count: 1)
        let generated = try await generateKey(on: rig.workers[0], label: rig.label)
        let before = try await rig.objectCount(0)
        await #expect {
            _ = try await TransportKeyInstaller(label: rig.label, preference: .rsaOAEPUnwrap)
                .install(generated.material, on: rig.workers[0])
        } throws: { error in
            guard let error = error as? TransportError, case .installVerificationFailed = error else { return false }
            let text = "\(error)"
            return error.category == .integrity && text.contains("transport key is AES-?, not AES-256")
                && text.contains("the 1 object(s) this run had created were destroyed")
        }
        #expect(try await rig.objectCount(0) == before)
        await rig.close()
    }

    @Test(
        "M and N: at least 2 needed, at most 16 made, N < 2M advised",
        arguments: [
            (1, 3, "a threshold of 1 is refused"), (4, 3, "a threshold of 4 with 3 shares is impossible"),
            (2, 17, "17 shares is more than SLIP-0039 allows"), (2, 4, "warning"), (3, 5, ""),
        ])
    func shareParameters(threshold: Int, count: Int, expected: String) {
        do {
            let parameters = try TransportShareParameters(threshold: threshold, count: count)
            if expected == "warning" {
                #expect(parameters.warnings.count == 1 && parameters.warnings[0].contains("N < 2M"))
            } else {
                #expect(expected.isEmpty && parameters.warnings.isEmpty)
            }
        } catch {
            #expect(error.description.hasPrefix(expected) && !expected.isEmpty && error.category == .invalidInput)
        }
    }
}
