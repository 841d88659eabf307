/// Throwaway tokens, for a backup drill's restore and a ceremony's rehearsal: initialised with
/// random PINs that are never shown, reachable as fleet HSMs, destroyed with everything they hold.
public protocol ScratchTokens: Sendable {
    /// Creates one initialised token per request (names must be distinct).
    func start(_ requests: [ScratchTokenRequest]) async throws -> any ScratchTokenSet
}

/// Tokens a ``ScratchTokens`` made.
public protocol ScratchTokenSet: Sendable {
    /// The tokens as fleet HSMs, in request order.
    var hsms: [HSMConfiguration] { get }
    /// A private directory (mode 0700) for the tokens and whatever goes with them; removed by ``destroy()``.
    var directory: String { get }
    /// Removes the tokens and their directory. Idempotent.
    func destroy() async
}

/// One throwaway token, standing in for one HSM.
public struct ScratchTokenRequest: Sendable, Hashable {
    public let name: String
    public let role: HSMRole
    public let site: String
    public let tokenLabel: String

    public init(name: String, role: HSMRole, site: String = "scratch", tokenLabel: String) {
        self.name = name
        self.role = role
        self.site = site
        self.tokenLabel = tokenLabel
    }
}
