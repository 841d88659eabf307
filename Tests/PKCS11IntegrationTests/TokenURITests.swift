import PKCS11
import SecureMemory
import Testing

@Suite("RFC 7512 token URIs (p11-kit's parser)")
struct TokenURITests {
    @Test("Token attributes are parsed, percent-decoded")
    func parses() throws {
        let uri = try TokenURI("pkcs11:token=My%20CA;serial=1234abcd;model=SoftHSM%20v2;manufacturer=SoftHSM%20project")
        #expect(uri.label == "My CA")
        #expect(uri.serialNumber == "1234abcd")
        #expect(uri.model == "SoftHSM v2")
        #expect(uri.manufacturer == "SoftHSM project")
    }

    @Test(
        "Bad URIs are refused with a reason",
        arguments: [
            ("http://example.com", "invalid PKCS#11 URI"),
            ("pkcs11:token=a;pin-value=1234", "carries a PIN"),
            ("pkcs11:token=a?pin-source=file:/x", "carries a PIN"),
            ("pkcs11:slot-id=3", "selects by slot"),
            ("pkcs11:tokn=typo", "does not recognise"),
            ("pkcs11:", "names no token attribute"),
        ])
    func refuses(uri: String, expected: String) {
        do {
            _ = try TokenURI(uri)
            Issue.record("accepted \(uri)")
        } catch {
            #expect(error.description.contains(expected), "\(error)")
            #expect(!error.description.contains("1234") || !uri.contains("pin-value"))
        }
    }
}
