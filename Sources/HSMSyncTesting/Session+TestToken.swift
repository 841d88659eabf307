public import PKCS11

extension PKCS11Module {
    /// Opens a session on a test token and logs the user in (tests only).
    public func loggedInSession(_ token: TestToken, readWrite: Bool = true) throws -> Session {
        guard let slot = try tokens(matching: token.uri).first?.slot else {
            throw FixtureError.setupFailed("test token \(token.label) not found")
        }
        let session = try openSession(slot, readWrite: readWrite)
        try session.login(pin: token.pin)
        return session
    }
}
