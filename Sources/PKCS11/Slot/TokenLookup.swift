/// What a search for a token by URI found.
public struct TokenLookup: Sendable {
    /// The slots whose token matched, with their token information.
    public var matches: [(slot: SlotID, token: TokenInfo)] = []
    /// Every token that could be read, matching or not (for "tokens seen" messages).
    public var seen: [TokenInfo] = []
    /// Slots whose token information could not be read, and why.
    public var unreadable: [(slot: SlotID, error: PKCS11Error)] = []

    public init() {}
}
