public import PKCS11

extension PKCS11Module {
    /// Opens a session on a test token and logs the user in (tests only).
    public func loggedInSession(_ token: TestToken, readWrite: Bool = true) throws -> Session {
        guard let slot = try testToken(labelled: token.label)?.slot else {
            throw FixtureError.setupFailed("test token \(token.label) not found")
        }
        let session = try openSession(slot, readWrite: readWrite)
        try session.login(pin: token.pin)
        return session
    }

    /// The initialised token labelled `label`, skipping slots whose token information cannot be
    /// read: SoftHSM2 2.6.1 marks a token invalid for good in a process when one read of its files
    /// races another process writing them (parallel CLI tests), and other tests' tokens must not
    /// break this test's lookup.
    public func testToken(labelled label: String) throws -> (slot: SlotID, token: TokenInfo)? {
        for slot in try slots(withTokenPresent: true) {
            guard let info = try? tokenInfo(slot) else { continue }
            if info.flags.contains(.tokenInitialized) && info.label == label {
                return (slot, info)
            }
        }
        return nil
    }
}
