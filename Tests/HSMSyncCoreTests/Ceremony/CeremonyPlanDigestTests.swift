import Foundation
import HSMSyncModel
import HSMSyncTesting
import SignedLog
import Testing

@testable import HSMSyncCore

/// What witnesses sign: the plan digest covers the checks and their findings in canonical JSON,
/// never the sentences a front end prints.
@Suite("Ceremony plan digest")
struct CeremonyPlanDigestTests {
    static func plan(found: Int, rehearsal: Bool = false) throws -> CeremonyPlan {
        let script = try CeremonyScriptTests.parse(
            "  - {id: gen, title: Generate, by: M, action: note, with: {text: Hello.}}\n" + CeremonyScriptTests.close)
        let fleet = Fleet(name: "prod", hsms: [], path: "/etc/hsmsync/fleet.yaml")
        return CeremonyPlan(
            script: script, fleet: fleet, rehearsal: rehearsal,
            steps: [
                PlannedStep(
                    number: 1, step: script.steps[0], done: false,
                    checks: [.labelFree(hsm: "primary-1", label: "ca-root", found: found)]),
                PlannedStep(number: 2, step: script.steps[1], done: true, checks: []),
            ])
    }

    @Test("the digest is SHA-256 of the canonical encoding, which holds findings and no prose")
    func canonical() throws {
        let plan = try Self.plan(found: 0)
        let text = String(decoding: plan.canonicalEncoding, as: UTF8.self)
        #expect(plan.digest == AuditDigest.sha256(of: plan.canonicalEncoding))
        #expect(
            text
                == #"{"fleet":"prod","rehearsal":false,"script":"\#(plan.script.digest)","steps":[{"action":"note","#
                + #""checks":[{"check":"label-free","found":0,"hsm":"primary-1","label":"ca-root"}],"done":false,"#
                + #""id":"gen"},{"action":"close","checks":[],"done":true,"id":"end"}],"version":1}"#)
        #expect(!text.contains("✓") && !text.contains(" is free") && !text.contains("Generate"))
    }

    @Test("a different finding, or a rehearsal, is a different digest")
    func findingsCount() throws {
        let free = try Self.plan(found: 0)
        #expect(try Self.plan(found: 0).digest == free.digest)
        #expect(try Self.plan(found: 1).digest != free.digest)
        #expect(try Self.plan(found: 0, rehearsal: true).digest != free.digest)
        #expect(
            try Self.plan(found: 1).problems == [#"step gen: primary-1 already holds 1 object(s) labelled "ca-root""#])
    }
}
