import Foundation
import HSMSyncCore
import HSMSyncModel
import PKCS11
import SignedLog
import Testing

/// The drift engine on synthetic inventories: exact sets of findings for every kind and role rule.
@Suite("Drift engine (pure)")
struct DriftEngineTests {
    // MARK: - Building inventories

    static func key(
        _ label: String, class objectClass: ObjectKind = .secretKey, id: String = "01", keyType: KeyAlgorithm = .aes,
        fingerprint: String? = "f1", method: Fingerprint.Method = .cmac, usage: [String] = ["sign", "verify"],
        extractable: Bool = true, wrapWithTrusted: Bool = true, sensitive: Bool = true, local: Bool = true,
        oddities: [String] = []
    ) -> KeyRecord {
        KeyRecord(
            objectClass: objectClass, keyType: keyType, size: 256, curve: nil, label: label, id: id, usage: usage,
            attributes: .init(
                token: true, private: true, modifiable: false, copyable: true, destroyable: true, sensitive: sensitive,
                extractable: extractable, wrapWithTrusted: wrapWithTrusted, trusted: false),
            provenance: .init(local: local, alwaysSensitive: local, neverExtractable: !extractable),
            allowedMechanisms: nil,
            fingerprint: fingerprint.map { .available(method: method, sha256: $0) }
                ?? .unavailable(reason: "no CKA_SIGN"),
            oddities: oddities)
    }

    static let goodTransport = TransportKeyState(
        label: "hsmsync-transport", objects: 1, violations: [], checkValue: "00112233aabbccdd",
        checkValueUnavailable: nil)

    static func hsm(_ name: String, _ role: HSMRole) -> HSMConfiguration {
        HSMConfiguration(
            name: name, role: role, site: "s", modulePath: "/m.so", serverAddress: nil,
            token: .label(name), pin: .prompt)
    }

    static func scan(
        _ configuration: HSMConfiguration, _ objects: [KeyRecord], transport: TransportKeyState = goodTransport
    )
        -> HSMScan
    {
        .scanned(
            configuration,
            TokenInventory(
                hsm: configuration.name, role: configuration.role, site: configuration.site,
                token: TokenSummary(
                    label: configuration.name, serial: "s-\(configuration.name)", model: "m", manufacturer: "v"),
                objects: objects, transport: transport, vanished: 0, scanSeconds: 0,
                phases: ScanPhases(find: 0, attributes: 0, fingerprints: 0)))
    }

    static func fleet(_ hsms: [HSMConfiguration], keys: KeyScope = KeyScope()) -> Fleet {
        Fleet(name: "unit", hsms: hsms, keys: keys, path: "/fleet.yaml")
    }

    /// The findings as comparable tuples: kind, HSM, reference, label.
    static func summary(_ report: AuditReport) -> Set<String> {
        Set(report.findings.map { "\($0.kind.rawValue) \($0.hsm) \($0.reference ?? "-") \($0.key?.label ?? "-")" })
    }

    let primary = hsm("primary-1", .primary)
    let member = hsm("member-1", .member)
    let member2 = hsm("member-2", .member)
    let dr = hsm("dr-1", .secondary)

    // MARK: - Tests

    @Test("Keys in parity produce no finding at all")
    func parity() {
        let keys = [Self.key("ca"), Self.key("ocsp", id: "02", fingerprint: "f2")]
        let report = DriftEngine(fleet: Self.fleet([primary, member, dr]))
            .evaluate([Self.scan(primary, keys), Self.scan(member, keys), Self.scan(dr, keys)])
        #expect(report.findings.isEmpty)
        #expect(report.status == .parity)
        #expect(report.notCompared.isEmpty)
        #expect(report.hsms.map(\.keysInScope) == [2, 2, 2])
        #expect(report.counts.values.allSatisfy { $0 == 0 })
        #expect(report.counts.count == Finding.Kind.allCases.count)
    }

    @Test("A primary's key must be everywhere; a member-only key must reach every HSM; a secondary-only key is extra")
    func roleSemantics() {
        let report = DriftEngine(fleet: Self.fleet([primary, member, dr])).evaluate([
            Self.scan(primary, [Self.key("on-primary")]),
            Self.scan(member, [Self.key("on-member", id: "02", fingerprint: "f2")]),
            Self.scan(dr, [Self.key("on-dr", id: "03", fingerprint: "f3")]),
        ])
        #expect(
            Self.summary(report) == [
                "missing member-1 primary-1 on-primary", "missing dr-1 primary-1 on-primary",
                "missing primary-1 member-1 on-member", "missing dr-1 member-1 on-member", "extra dr-1 - on-dr",
            ])
        #expect(report.status == .drift)
    }

    @Test("Cluster of members: each member's key is missing on the other, referenced to its holder")
    func cluster() {
        let report = DriftEngine(fleet: Self.fleet([member, member2])).evaluate([
            Self.scan(member, [Self.key("a")]), Self.scan(member2, [Self.key("b", id: "02")]),
        ])
        #expect(Self.summary(report) == ["missing member-2 member-1 a", "missing member-1 member-2 b"])
    }

    @Test("Material, attributes and duplicates; provenance is never drift")
    func comparisons() {
        let report = DriftEngine(fleet: Self.fleet([primary, member, dr])).evaluate([
            Self.scan(primary, [Self.key("ca"), Self.key("tls", id: "02", fingerprint: "f2")]),
            Self.scan(
                member,
                [Self.key("ca", fingerprint: "other"), Self.key("tls", id: "02", fingerprint: "f2", local: false)]),
            Self.scan(
                dr,
                [
                    Self.key("ca", usage: ["sign"]), Self.key("tls", id: "02", fingerprint: "f2"),
                    Self.key("tls", id: "02", fingerprint: "f9"),
                ]),
        ])
        #expect(
            Self.summary(report) == [
                "material-mismatch member-1 primary-1 ca", "attribute-mismatch dr-1 primary-1 ca",
                "duplicate dr-1 - tls",
            ])
        let attribute = report.findings.first { $0.kind == .attributeMismatch }
        #expect(attribute?.detail == "CKA_VERIFY: primary-1 true, dr-1 false")
        let material = report.findings.first { $0.kind == .materialMismatch }
        #expect(material?.detail.contains("cmac fingerprints differ") == true)
    }

    @Test("A non-extractable key missing somewhere is also unsyncable; in parity it is fine")
    func unsyncable() {
        let locked = Self.key("root", extractable: false)
        let report = DriftEngine(fleet: Self.fleet([primary, member, dr])).evaluate([
            Self.scan(primary, [locked]), Self.scan(member, [locked]), Self.scan(dr, []),
        ])
        #expect(Self.summary(report) == ["missing dr-1 primary-1 root", "unsyncable primary-1 - root"])
        let parity = DriftEngine(fleet: Self.fleet([primary, dr])).evaluate([
            Self.scan(primary, [locked]), Self.scan(dr, [locked]),
        ])
        #expect(parity.findings.isEmpty)
    }

    @Test("An unreachable HSM is a finding, never an empty HSM; the others are still compared")
    func unreachable() {
        let error = HSMError(hsm: "member-1", .unreachable(reason: "no slots"))
        let report = DriftEngine(fleet: Self.fleet([primary, member, dr])).evaluate([
            Self.scan(primary, [Self.key("ca")]), .failed(member, error), Self.scan(dr, []),
        ])
        #expect(Self.summary(report) == ["unreachable member-1 - -", "missing dr-1 primary-1 ca"])
        #expect(report.status == .error)
        #expect(report.hsms[1].reachable == false)
    }

    @Test("With an authority unreachable, a secondary-only key is still extra, with the caveat")
    func extraWithUnreachableAuthority() {
        let report = DriftEngine(fleet: Self.fleet([primary, dr])).evaluate([
            .failed(primary, HSMError(hsm: "primary-1", .unreachable(reason: "down"))), Self.scan(dr, [Self.key("x")]),
        ])
        #expect(Self.summary(report) == ["unreachable primary-1 - -", "extra dr-1 - x"])
        #expect(
            report.findings.first { $0.kind == .extra }?.detail.contains("unreachable primary or member may hold it")
                == true)
    }

    @Test("Transport key: missing, ambiguous, breaking the rules, different check value")
    func transport() {
        let hsms = [primary, member, member2, dr, Self.hsm("dr-2", .secondary)]
        let report = DriftEngine(fleet: Self.fleet(hsms)).evaluate([
            Self.scan(primary, []),
            Self.scan(
                member, [],
                transport: .init(
                    label: "hsmsync-transport", objects: 0, violations: [], checkValue: nil,
                    checkValueUnavailable: "none")),
            Self.scan(
                member2, [],
                transport: .init(
                    label: "hsmsync-transport", objects: 2, violations: [], checkValue: nil,
                    checkValueUnavailable: "two")),
            Self.scan(
                dr, [],
                transport: .init(
                    label: "hsmsync-transport", objects: 1, violations: ["may also decrypt"], checkValue: nil,
                    checkValueUnavailable: "rules")),
            Self.scan(
                hsms[4], [],
                transport: .init(
                    label: "hsmsync-transport", objects: 1, violations: [], checkValue: "ffffffffffffffff",
                    checkValueUnavailable: nil)),
        ])
        #expect(
            Self.summary(report) == [
                "transport-missing member-1 - -", "transport-mismatch member-2 - -", "transport-mismatch dr-1 - -",
                "transport-mismatch dr-2 primary-1 -",
            ])
        #expect(report.findings.contains { $0.detail == "the transport key may also decrypt" })
        #expect(
            report.findings.contains {
                $0.detail == "2 objects carry the transport label \"hsmsync-transport\" (only one may)"
            })
    }

    @Test("Policy lint: reported per key, counted as drift only when strict")
    func policy() {
        let risky = Self.key("risky", usage: ["wrap", "decrypt"], wrapWithTrusted: false, sensitive: false)
        let lenient = DriftEngine(fleet: Self.fleet([primary])).evaluate([Self.scan(primary, [risky])])
        #expect(Self.summary(lenient) == ["policy primary-1 - risky"])
        #expect(lenient.status == .parity)
        let detail = lenient.findings[0].detail
        #expect(detail.contains("can both wrap and decrypt"))
        #expect(detail.contains("extractable without CKA_WRAP_WITH_TRUSTED"))
        #expect(detail.contains("not sensitive"))
        let strict = DriftEngine(fleet: Self.fleet([primary]), strictPolicy: true).evaluate([
            Self.scan(primary, [risky])
        ])
        #expect(strict.status == .drift)
    }

    @Test("Odd objects are listed, never compared; unreadable material is not a mismatch")
    func oddAndNotCompared() {
        let ghost = Self.key("", id: "", fingerprint: nil, oddities: ["no CKA_LABEL and no CKA_ID"])
        let report = DriftEngine(fleet: Self.fleet([primary, dr])).evaluate([
            Self.scan(
                primary, [Self.key("ca"), Self.key("tls", id: "02", method: .transportWrap(transportCheckValue: "aa"))]),
            Self.scan(
                dr,
                [
                    ghost, Self.key("ca", fingerprint: nil),
                    Self.key("tls", id: "02", fingerprint: "zz", method: .transportWrap(transportCheckValue: "bb")),
                ]),
        ])
        #expect(report.findings.isEmpty)
        #expect(report.oddObjects.map(\.hsm) == ["dr-1"])
        #expect(Set(report.notCompared.map(\.key.label)) == ["ca", "tls"])
        #expect(report.notCompared.contains { $0.reason == "no fingerprint on dr-1: no CKA_SIGN" })
        #expect(report.notCompared.contains { $0.reason.contains("different transport keys") })
    }

    @Test("Keys out of the fleet's scope are not compared")
    func scope() {
        let fleet = Self.fleet([primary, dr], keys: KeyScope(include: ["ca-*"], exclude: ["ca-test*"]))
        let report = DriftEngine(fleet: fleet).evaluate([
            Self.scan(primary, [Self.key("ca-root"), Self.key("ca-test-1", id: "02"), Self.key("tls", id: "03")]),
            Self.scan(dr, []),
        ])
        #expect(Self.summary(report) == ["missing dr-1 primary-1 ca-root"])
    }
}
