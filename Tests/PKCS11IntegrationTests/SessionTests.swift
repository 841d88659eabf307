import HSMSyncTesting
import PKCS11
import SecureMemory
import Testing

@Suite("Sessions and login (SoftHSM2)")
struct SessionTests {
    @Test("Read-only and read-write sessions report their kind")
    func sessionKinds() async throws {
        let token = try await SoftHSMFixture.shared.makeToken("sess")
        let module = try await SoftHSMFixture.shared.module()
        let slot = try #require(try module.tokens(matching: token.uri).first).slot
        let readOnly = try module.openSession(slot, readWrite: false)
        #expect(try readOnly.info().isReadWrite == false)
        #expect(try readOnly.info().slot == slot)
        let readWrite = try module.openSession(slot, readWrite: true)
        #expect(try readWrite.info().isReadWrite)
    }

    @Test("Login with the right PIN, logout")
    func login() async throws {
        let token = try await SoftHSMFixture.shared.makeToken("login")
        let module = try await SoftHSMFixture.shared.module()
        let slot = try #require(try module.tokens(matching: token.uri).first).slot
        let session = try module.openSession(slot, readWrite: false)
        #expect(try session.info().isLoggedIn == false)
        try session.login(pin: token.pin)
        #expect(try session.info().isLoggedIn)
        // Login is per token per process: a second login on another session counts as success.
        let other = try module.openSession(slot, readWrite: false)
        try other.login(pin: token.pin)
        try session.logout()
        #expect(try other.info().isLoggedIn == false)
    }

    @Test("A wrong PIN fails once with CKR_PIN_INCORRECT and leaves the session logged out")
    func wrongPIN() async throws {
        let token = try await SoftHSMFixture.shared.makeToken("badpin")
        let module = try await SoftHSMFixture.shared.module()
        let slot = try #require(try module.tokens(matching: token.uri).first).slot
        let session = try module.openSession(slot, readWrite: false)
        #expect(throws: PKCS11Error(code: .pinIncorrect, function: .login)) {
            try session.login(pin: PIN(exposedForTesting: "wrong-pin"))
        }
        #expect(try session.info().isLoggedIn == false)
        let error = PKCS11Error(code: .pinIncorrect, function: .login)
        #expect(error.description == "C_Login: CKR_PIN_INCORRECT (0xa0)")
    }

    @Test("C_GenerateRandom fills the requested length")
    func random() async throws {
        let token = try await SoftHSMFixture.shared.makeToken("rng")
        let module = try await SoftHSMFixture.shared.module()
        let session = try module.loggedInSession(token)
        let a = try session.generateRandom(count: 32)
        let b = try session.generateRandom(count: 32)
        #expect(a.count == 32)
        let differ = a.constantTimeEquals(b) == false
        #expect(differ)
        let zero = SecretBytes(zeroedCount: 32)
        let nonZero = a.constantTimeEquals(zero) == false
        #expect(nonZero)
    }
}
