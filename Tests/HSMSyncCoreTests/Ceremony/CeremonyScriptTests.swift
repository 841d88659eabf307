import Foundation
import HSMSyncCore
import HSMSyncModel
import HSMSyncTesting
import SignedLog
import Testing

/// Strict decoding and validation of ceremony files, without any HSM.
@Suite("Ceremony file decoding")
struct CeremonyScriptTests {
    static let head = TestCeremony.script(steps: "")
    static let close = "  - {id: end, title: Close, by: M, action: close, with: {statement: Done.}}\n"

    static func parse(_ steps: String) throws(YAMLError) -> CeremonyScript {
        try CeremonyScript.parse(
            head + steps, path: "/tmp/t.yaml", digest: AuditDigest.sha256(of: Array((head + steps).utf8)))
    }

    @Test("a minimal ceremony decodes with its roles and steps")
    func minimal() throws {
        let script = try Self.parse(
            "  - {id: n, title: Note, by: W, action: note, with: {text: Hello.}}\n" + Self.close)
        #expect(script.name == "t")
        #expect(script.fleetPath == "/tmp/fleet.yaml")
        #expect(script.steps.map(\.id) == ["n", "end"])
        #expect(script.roles.role(of: "W") == "witness")
        #expect(script.roles.role(of: "Z") == nil)
    }

    @Test(
        "refused with the YAML path",
        arguments: [
            (
                "  - {id: n, title: N, by: M, action: note, with: {text: x}}\n", "steps[0]",
                "the last step must be a close step"
            ),
            (
                close + "  - {id: n, title: N, by: M, action: note, with: {text: x}}\n", "steps[0]",
                "close must be the last step"
            ),
            (
                "  - {id: c, title: C, by: M, action: transport-create, with: {hsm: p, shares: 3, threshold: 3, delivery: screen}}\n"
                    + close, "steps[0].with.threshold", "roles.custodians.threshold"
            ),
            (
                "  - {id: c, title: C, by: M, action: transport-create, with: {hsm: p, shares: 4, threshold: 2, delivery: screen}}\n"
                    + close, "steps[0].with.shares", "one share per custodian"
            ),
            (
                "  - {id: i, title: I, by: M, action: transport-install, with: {hsm: p, custodians: [A, B], kcv: step:end}}\n"
                    + close, "steps[0].with.kcv", "not an earlier transport-create step"
            ),
            (
                "  - {id: i, title: I, by: M, action: transport-install, with: {hsm: p, custodians: [A], kcv: prompt}}\n"
                    + close, "steps[0].with.custodians", "cannot meet the threshold"
            ),
            (
                "  - {id: d, title: D, by: M, action: destroy-key, with: {hsm: p, label: k, id: none, class: secret-key, confirmed-by: [M, M]}}\n"
                    + close, "steps[0].with.confirmed-by[1]", "named twice"
            ),
            (
                "  - {id: d, title: D, by: M, action: destroy-key, with: {hsm: p, label: k, id: none, class: secret-key, confirmed-by: [M]}}\n"
                    + close, "steps[0].with.confirmed-by", "exactly two different people"
            ),
            (
                "  - {id: s, title: S, by: M, action: witness-sign-off, with: {witnesses: [W], statement: x, method: cosignature}}\n"
                    + close, "steps[0].with.method", "no vkey"
            ),
            (
                "  - {id: s, title: S, by: M, action: witness-sign-off, with: {witnesses: [A], statement: x, method: typed}}\n"
                    + close, "steps[0].with.witnesses[0]", "not a witness"
            ),
            (
                "  - {id: f, title: F, by: M, action: fleet-check, with: {hsms: [{hsm: p, serial: any}], mechanisms: [CKM_NOPE]}}\n"
                    + close, "steps[0].with.mechanisms[0]", "unknown mechanism"
            ),
            (
                "  - {id: g, title: G, by: M, action: generate-key, with: {hsm: p, label: k, id: '01', type: ec, size: 256, curve: P-256, attributes: {}}}\n"
                    + close, "steps[0].with.size", "a curve, not a size"
            ),
            (
                "  - {id: g, title: G, by: M, action: generate-key, with: {hsm: p, label: k, id: '01', type: aes, size: 256, attributes: {sensitive: true}}}\n"
                    + close, "steps[0].with.attributes.extractable", "required key"
            ),
            (
                "  - {id: a, title: A, by: M, action: audit, with: {expect: yes}}\n" + close, "steps[0].with.expect",
                "expected a string"
            ),
        ])
    func refused(steps: String, path: String, reason: String) {
        do {
            _ = try Self.parse(steps)
            Issue.record("accepted: \(steps)")
        } catch {
            #expect(error.path == path, "\(error)")
            #expect(error.reason.contains(reason), "\(error)")
        }
    }

    @Test("two roles for one person are refused")
    func oneRolePerPerson() {
        let text = Self.head.replacingOccurrences(of: "[{name: W}]", with: "[{name: A}]") + Self.close
        do {
            _ = try CeremonyScript.parse(text, path: "/tmp/t.yaml", digest: AuditDigest.sha256(of: Array(text.utf8)))
            Issue.record("accepted A as master and witness")
        } catch {
            #expect(error.reason.contains("holds two roles"), "\(error)")
        }
    }

    @Test("replicate and the backup steps decode and are available to run")
    func available() throws {
        let replicate = try Self.parse(
            "  - {id: r, title: R, by: M, action: replicate, with: {from: p, to: [d], scope: {include: ['*'], exclude: []}}}\n"
                + Self.close)
        try replicate.checkAvailability()
        let backup = try Self.parse(
            "  - {id: b, title: B, by: M, action: backup-create, with: {hsm: p, out: x.hsmbackup}}\n" + Self.close)
        try backup.checkAvailability()
        let restore = try Self.parse(
            "  - {id: b, title: B, by: M, action: backup-restore, with: {bundle: x.hsmbackup, hsm: d}}\n" + Self.close)
        try restore.checkAvailability()
    }
}
