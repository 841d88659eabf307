import HSMSyncModel
import HSMSyncTesting
import PKCS11
import PKCS11Endpoint
import Testing

/// The capability probe on real tokens: what it finds, and that it leaves every token as it was.
@Suite("Capability probe (SoftHSM2, NSS softoken)")
struct CapabilityProbeTests {
    @Test(
        "SoftHSM2 2.6.1: AES-KW by 0x2109, AES-KWP by 0x210A (RFC 5649 there), EC, no attribute refused; the token holds what it held before",
        arguments: [false, true])
    func softHSM(tokenObjects: Bool) async throws {
        let token = try await SoftHSMFixture.shared.makeToken("probe")
        let session = try await SoftHSMFixture.shared.module().loggedInSession(token)
        try session.installTestTransportKey()
        let before = try session.findObjects()
        let capabilities = try session.probeCapabilities(tokenObjects: tokenObjects)
        #expect(capabilities.wrapMethods == [.aesKeyWrap: .aesKeyWrap, .aesKeyWrapWithPadding: .aesKeyWrapPad])
        #expect(capabilities.holdsEC)
        #expect(!capabilities.ecUnwrapNeedsPublicValue)
        #expect(capabilities.refusedAttributes == [], "\(capabilities.refusedAttributes)")
        let left = try session.findObjects().filter { !before.contains($0) }
        let described = try left.map { try session.attributes([.class, .label, .token, .keyType], of: $0) }
        #expect(left.isEmpty, "\(described)")
    }

    @Test(
        "NSS softoken 3.87: AES-KW by 0x2109, AES-KWP by 0x210B (its 0x210A is another algorithm), EC needing CKA_NSS_DB, and CKA_COPYABLE, CKA_DESTROYABLE, CKA_ALLOWED_MECHANISMS refused on token objects, CKA_UNWRAP_TEMPLATE not kept; nothing left behind"
    )
    func nss() async throws {
        try await NSSSoftoken.shared.withToken { token, module in
            let session = try module.loggedInSession(token.testToken)
            let before = try session.findObjects()
            let capabilities = try session.probeCapabilities(tokenObjects: true)
            #expect(capabilities.wrapMethods == [.aesKeyWrap: .aesKeyWrap, .aesKeyWrapWithPadding: .aesKeyWrapKWP])
            #expect(capabilities.holdsEC)
            #expect(capabilities.ecUnwrapNeedsPublicValue)
            #expect(
                capabilities.refused == [.copyable, .destroyable, .allowedMechanisms, .unwrapTemplate],
                "\(capabilities)")
            #expect(capabilities.refusedAttributes.allSatisfy { $0.evidence.contains("token object") })
            #expect(try session.findObjects() == before)
        }
    }
}
