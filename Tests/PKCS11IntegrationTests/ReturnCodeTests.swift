import PKCS11
import Testing

@Suite("Return codes keep their number")
struct ReturnCodeTests {
    @Test("Spec names, vendor-defined offsets and unknown codes")
    func names() {
        #expect(ReturnCode(rawValue: 0x6a).name == "CKR_KEY_UNEXTRACTABLE")
        #expect(ReturnCode(rawValue: 0x8000_0012).name == "CKR_VENDOR_DEFINED+0x12")
        #expect(ReturnCode(rawValue: 0x8000_0012).description == "CKR_VENDOR_DEFINED+0x12 (0x80000012)")
        #expect(ReturnCode(rawValue: 0x7777).name == "unknown(0x7777)")
        #expect(
            PKCS11Error(code: ReturnCode(rawValue: 0x8000_0001), function: .wrapKey).description
                == "C_WrapKey: CKR_VENDOR_DEFINED+0x1 (0x80000001)")
    }

    @Test("Ambiguous outcomes are flagged for reconciliation (SECURITY.md R18)")
    func ambiguous() {
        #expect(ReturnCode.generalError.leavesOutcomeUnknown)
        #expect(ReturnCode.deviceError.leavesOutcomeUnknown)
        #expect(!ReturnCode.keyUnextractable.leavesOutcomeUnknown)
    }

    @Test("Other spec constants render their names")
    func constants() {
        #expect(MechanismType.aesKeyWrapPad.description == "CKM_AES_KEY_WRAP_PAD")
        #expect(AttributeType.wrapWithTrusted.description == "CKA_WRAP_WITH_TRUSTED")
        #expect(AttributeType.ecParams.description == "CKA_EC_PARAMS")
        #expect(AttributeType.unwrapTemplate.description == "CKA_UNWRAP_TEMPLATE")
        #expect(KeyType.ecEdwards.description == "CKK_EC_EDWARDS")
        #expect(ObjectClass(rawValue: 0x8000_0003).description == "CKO_VENDOR_DEFINED+0x3")
        #expect(ObjectClass(rawValue: 0x8000_0003).isVendorDefined)
    }
}
