import Foundation
import HSMSyncCore
import HSMSyncModel
import Testing

/// Negotiation, the drift engine and the planner on synthetic capabilities (pure logic; the probe
/// on real tokens is CapabilityProbeTests, replication across vendors VendorReplicationTests).
@Suite("Wrap negotiation (pure)")
struct WrapNegotiationTests {
    static let softHSM = TokenCapabilities.complete
    static let nss = TokenCapabilities(
        wrapMethods: [.aesKeyWrap: .aesKeyWrap, .aesKeyWrapWithPadding: .aesKeyWrapKWP], holdsEC: true,
        ecUnwrapNeedsPublicValue: true,
        refusedAttributes: [AttributeSupport(attribute: .copyable, evidence: "C_GenerateKey (token object): 0x5")])
    /// A token with RFC 5649 but no RFC 3394, and no EC.
    static let paddingOnly = TokenCapabilities(
        wrapMethods: [.aesKeyWrapWithPadding: .aesKeyWrapKWP], holdsEC: false, refusedAttributes: [])
    static let none = TokenCapabilities(
        wrapMethods: [:], holdsEC: false, refusedAttributes: [],
        notes: ["CKM_AES_CBC_PAD wraps here, but hsmsync does not replicate with it yet"])

    /// A scan of `objects` on a token with `capabilities`.
    static func scan(_ configuration: HSMConfiguration, _ objects: [KeyRecord], _ capabilities: TokenCapabilities)
        -> HSMScan
    {
        let inventory = DriftEngineTests.scan(configuration, objects).inventory!
        return .scanned(
            configuration,
            TokenInventory(
                hsm: inventory.hsm, role: inventory.role, site: inventory.site, token: inventory.token,
                objects: inventory.objects, transport: inventory.transport, vanished: 0, scanSeconds: 0,
                phases: inventory.phases, capabilities: capabilities))
    }

    @Test("AES keys prefer AES-KW, fall back to AES-KWP; private keys take AES-KWP only; EC needs EC on both sides")
    func preferenceOrder() {
        #expect(
            WrapNegotiation.negotiate(.secretKey, keyType: .aes, from: ("a", Self.softHSM), to: ("b", Self.nss))
                == .method(.aesKeyWrap))
        #expect(
            WrapNegotiation.negotiate(.secretKey, keyType: .aes, from: ("a", Self.softHSM), to: ("b", Self.paddingOnly))
                == .method(.aesKeyWrapWithPadding))
        #expect(
            WrapNegotiation.negotiate(.privateKey, keyType: .rsa, from: ("a", Self.nss), to: ("b", Self.softHSM))
                == .method(.aesKeyWrapWithPadding))
        #expect(
            WrapNegotiation.negotiate(
                .secretKey, keyType: .genericSecret, from: ("a", Self.softHSM), to: ("b", Self.nss))
                == .method(.aesKeyWrapWithPadding))
        guard
            case .impossible(let reason) = WrapNegotiation.negotiate(
                .privateKey, keyType: .ec, from: ("primary-1", Self.softHSM), to: ("ock-1", Self.paddingOnly))
        else {
            Issue.record("an EC key was negotiated to a token without EC")
            return
        }
        #expect(reason.contains("ock-1 cannot hold EC keys"))
        guard
            case .impossible(let none) = WrapNegotiation.negotiate(
                .secretKey, keyType: .aes, from: ("primary-1", Self.softHSM), to: ("ock-1", Self.none))
        else {
            Issue.record("a key was negotiated to a token without any wrap method")
            return
        }
        #expect(none.contains("ock-1 offers none") && none.contains("primary-1 offers AES-KW, AES-KWP"), "\(none)")
    }

    @Test("A pair is described per kind, both ways; a token with no method replicates with nobody")
    func pairs() {
        let mixed = PairNegotiation(("primary-1", Self.softHSM), ("nss-1", Self.nss))
        #expect(mixed.aes == "AES-KW" && mixed.rsa == "AES-KWP" && mixed.ec == "AES-KWP" && mixed.replicates)
        let noEC = PairNegotiation(("primary-1", Self.softHSM), ("ock-1", Self.paddingOnly))
        #expect(noEC.aes == "AES-KWP" && noEC.ec == nil && noEC.impossible["ec"]?.contains("EC") == true)
        let nothing = PairNegotiation(("primary-1", Self.softHSM), ("ock-1", Self.none))
        #expect(!nothing.replicates && nothing.impossible.count == 3)
        #expect(!Self.none.canReplicate && Self.nss.canReplicate)
    }

    @Test(
        "The audit reports an EC key a token cannot hold as capability-gap, not missing, and parity holds; reconcile leaves it as unsyncable; NSS's refused CKA_COPYABLE is a policy finding, not drift"
    )
    func driftAndPlan() {
        let primary = DriftEngineTests.hsm("primary-1", .primary)
        let member = DriftEngineTests.hsm("ock-1", .member)
        let fleet = DriftEngineTests.fleet([primary, member])
        let ec = DriftEngineTests.key("ec-1", class: .privateKey, id: "02", keyType: .ec)
        let aes = DriftEngineTests.key("aes-1")
        let scans = [Self.scan(primary, [ec, aes], Self.softHSM), Self.scan(member, [aes], Self.paddingOnly)]
        let report = DriftEngine(fleet: fleet).evaluate(scans)
        #expect(report.status == .parity, "\(report.findings)")
        #expect(report.findings.map(\.kind) == [.capabilityGap], "\(report.findings)")
        let plan = ReconcilePlanner(fleet: fleet).plan(report, scans: scans)
        #expect(plan.copies.isEmpty)
        #expect(plan.skipped.map(\.reason) == ["unsyncable"])
        #expect(plan.skipped.first?.detail.contains("cannot hold EC keys") == true)

        let nssMember = DriftEngineTests.hsm("nss-1", .member)
        let copy = DriftEngineTests.key("aes-1")
        let nssFleet = DriftEngineTests.fleet([primary, nssMember])
        let nssReport = DriftEngine(fleet: nssFleet).evaluate([
            Self.scan(primary, [aes], Self.softHSM), Self.scan(nssMember, [copy], Self.nss),
        ])
        #expect(nssReport.status == .parity, "\(nssReport.findings)")
        #expect(nssReport.findings.map(\.kind) == [.policy])
        #expect(nssReport.findings.first?.detail.contains("CKA_COPYABLE") == true)
    }

    @Test("Negotiated copies carry their method into the plan")
    func planCarriesMethod() {
        let primary = DriftEngineTests.hsm("primary-1", .primary)
        let member = DriftEngineTests.hsm("kwp-1", .member)
        let fleet = DriftEngineTests.fleet([primary, member])
        let aes = DriftEngineTests.key("aes-1", wrapWithTrusted: false)
        let scans = [Self.scan(primary, [aes], Self.softHSM), Self.scan(member, [], Self.paddingOnly)]
        let report = DriftEngine(fleet: fleet).evaluate(scans)
        let plan = ReconcilePlanner(fleet: fleet).plan(report, scans: scans)
        #expect(plan.copies.map(\.method) == [.aesKeyWrapWithPadding])
        let none = [Self.scan(primary, [aes], Self.softHSM), Self.scan(member, [], Self.none)]
        let refused = ReconcilePlanner(fleet: fleet).plan(DriftEngine(fleet: fleet).evaluate(none), scans: none)
        #expect(refused.copies.isEmpty)
        #expect(refused.skipped.map(\.reason) == ["unsyncable"])
    }
}
