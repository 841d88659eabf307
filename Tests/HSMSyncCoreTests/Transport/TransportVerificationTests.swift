import Foundation
import HSMSyncModel
import HSMSyncTesting
import PKCS11
import PKCS11Endpoint
import SecureMemory
import SignedLog
import Testing

@testable import HSMSyncCore

@Suite("Transport key: verify (SoftHSM2)")
struct TransportVerificationTests {
    /// A transport key on primary-1 (by hsmsync) and the same key on dr-1 with `template`.
    static func rig(_ hint: String, drTemplate: (String) -> [Attribute]) async throws -> TransportRig {
        let rig = try await TransportRig.make(hint)
        let generated = try await generateKey(on: rig.workers[0], label: rig.label)
        _ = try await TransportKeyInstaller(label: rig.label).install(generated.material, on: rig.workers[0])
        try await rig.createKey(1, drTemplate(rig.label), value: generated.material)
        return rig
    }

    static func template(_ label: String, replacing changes: [Attribute]) -> [Attribute] {
        let types = Set(changes.map(\.type))
        return TransportKeyTemplate.attributes(label: label).filter { !types.contains($0.type) } + changes
    }

    @Test(
        "a transport key that may decrypt, encrypt or sign, or is modifiable: exit category 1, HSM and attribute named",
        arguments: [
            (AttributeType.decrypt, "dr-1: transport key may also decrypt"),
            (.encrypt, "dr-1: transport key may also encrypt"), (.sign, "dr-1: transport key may also sign"),
            (.modifiable, "dr-1: transport key is modifiable (CKA_MODIFIABLE must be false)"),
        ])
    func policyViolation(attribute: AttributeType, expected: String) async throws {
        let rig = try await Self.rig("vf-\(attribute.description.suffix(3))") { label in
            Self.template(label, replacing: [.bool(attribute, true)])
        }
        let report = await rig.verify()
        #expect(report.status == "mismatch")
        #expect(report.failureCategory == .integrity)
        #expect(report.problems.contains { $0.hasPrefix(expected) }, "\(report.problems)")
        #expect(report.problems.allSatisfy { $0.hasPrefix("dr-1: ") }, "primary-1 is fine")
        #expect(report.hsms[1].violations.count == 1)
        // Same key material: the check values still agree; the policy is what is wrong.
        #expect(report.hsms.map(\.checkValue) == [report.checkValue, report.checkValue])
        // And nothing installs over it.
        let generated = try await generateKey(on: rig.workers[0], label: "other-label")
        await #expect(throws: TransportError.self) {
            _ = try await TransportKeyInstaller(label: rig.label).install(generated.material, on: rig.workers[1])
        }
        await rig.close()
    }

    @Test("a second object with the transport label: named as ambiguous")
    func duplicate() async throws {
        let rig = try await Self.rig("vf-dup") { label in TransportKeyTemplate.attributes(label: label) }
        _ = try await rig.workers[1].withSession { session in
            try session.createObject([.class(.data), .bool(.token, true), .label(rig.label)])
        }
        let report = await rig.verify()
        #expect(report.failureCategory == .integrity)
        #expect(
            report.problems == ["dr-1: transport key is ambiguous: 2 objects carry the label \"hsmsync-transport\""])
        #expect(report.hsms[1].objects == 2 && report.hsms[1].checkValue == nil)
        await rig.close()
    }

    @Test("a different key on one HSM of three: the odd one is named")
    func differentKey() async throws {
        let rig = try await TransportRig.make("vf-odd", count: 3)
        let first = try await generateKey(on: rig.workers[0], label: rig.label)
        let second = try await generateKey(on: rig.workers[0], label: rig.label)
        let installer = TransportKeyInstaller(label: rig.label)
        _ = try await installer.install(first.material, on: rig.workers[0])
        _ = try await installer.install(second.material, on: rig.workers[1])
        _ = try await installer.install(first.material, on: rig.workers[2])
        let report = await rig.verify()
        #expect(report.failureCategory == .integrity)
        #expect(report.checkValue == first.material.checkValue)
        #expect(report.hsms.map(\.matches) == [true, false, true])
        #expect(
            report.problems == [
                "dr-1: transport check value \(second.material.checkValue) differs from \(first.material.checkValue) "
                    + "(primary-1, member-1): a different transport key"
            ])
        await rig.close()
    }

    @Test("a missing key, and a wrong PIN on another HSM: both reported, the PIN failure decides (runtime)")
    func missingAndWrongPIN() async throws {
        let rig = try await TransportRig.make("vf-pin", count: 3, badPINFor: 2)
        let generated = try await generateKey(on: rig.workers[0], label: rig.label)
        _ = try await TransportKeyInstaller(label: rig.label).install(generated.material, on: rig.workers[0])
        let report = await rig.verify()
        #expect(report.status == "error")
        #expect(report.failureCategory == .runtime)
        #expect(report.problems.contains("dr-1: no transport key (no object labelled \"hsmsync-transport\")"))
        let failed = try #require(report.problems.first { $0.hasPrefix("member-1: ") })
        #expect(failed.contains("CKR_PIN_INCORRECT") && !failed.contains("Wr0ngPinValue"))
        #expect(report.hsms[2].reachable && report.hsms[2].errorCategory == "runtime")
        #expect(report.hsms[0].matches == true)
        await rig.close()
    }
}
