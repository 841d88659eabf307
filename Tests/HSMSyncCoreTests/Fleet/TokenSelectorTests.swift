import HSMSyncModel
import Testing

/// The fleet file's RFC 7512 token URIs: only token attributes select; everything else RFC 7512
/// defines is refused with the attribute named, and a PIN is never repeated.
@Suite("Token selector (RFC 7512)")
struct TokenSelectorTests {
    @Test("Token attributes are percent-decoded and matched whole")
    func parsesAndMatches() throws {
        let selector = try TokenSelector(
            "pkcs11:token=My%20CA;serial=1234abcd;model=SoftHSM%20v2;manufacturer=SoftHSM%20project")
        #expect(selector.label == "My CA" && selector.serialNumber == "1234abcd")
        #expect(selector.model == "SoftHSM v2" && selector.manufacturer == "SoftHSM project")
        #expect(
            selector.matches(
                label: "My CA", serialNumber: "1234abcd", model: "SoftHSM v2", manufacturer: "SoftHSM project"))
        #expect(
            !selector.matches(
                label: "My CA 2", serialNumber: "1234abcd", model: "SoftHSM v2", manufacturer: "SoftHSM project"))
        #expect(TokenSelector.label("dr one/2").label == "dr one/2")
    }

    @Test(
        "Refused with a reason",
        arguments: [
            ("http://example.com", "invalid PKCS#11 URI"), ("pkcs11:token=a;pin-value=1234", "carries a PIN"),
            ("pkcs11:token=a?pin-source=file:/x", "carries a PIN"), ("pkcs11:slot-id=3", "selects by slot"),
            ("pkcs11:tokn=typo", "does not recognise"), ("pkcs11:", "names no token attribute"),
            ("pkcs11:token=a?module-path=/nonexistent.so", "does not honour module-path="),
            ("pkcs11:token=a;library-manufacturer=x", "does not honour library-manufacturer="),
            ("pkcs11:token=a;token=b", "given twice"), ("pkcs11:token=%zz", "percent-encoding"),
        ])
    func refused(_ uri: String, _ reason: String) {
        #expect {
            _ = try TokenSelector(uri)
        } throws: { error in
            let text = "\(error)"
            return text.contains(reason) && !text.contains("1234")
        }
    }
}
