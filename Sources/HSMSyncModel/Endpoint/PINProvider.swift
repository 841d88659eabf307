public import SecureMemory

/// Where the PIN of an HSM comes from when an endpoint logs in: injected, so that a command line
/// can prompt on its terminal, a service read files only, and a test hand PINs over directly.
public protocol PINProvider: Sendable {
    /// The user PIN of `hsm`, whose token the endpoint has just found (for a prompt to name it).
    ///
    /// - Throws: ``HSMError`` (`pinUnavailable`) when the source cannot deliver; the message never
    ///   contains the PIN.
    func pin(for hsm: HSMConfiguration, token: TokenDescription) async throws(HSMError) -> PIN
}
