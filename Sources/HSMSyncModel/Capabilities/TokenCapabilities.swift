/// What one token can do for replication, as probed once per run: the wrap methods it carries out
/// and with which PKCS#11 mechanism, whether it holds EC keys, and the attributes it refuses on token
/// objects (``AttributeSupport``).
///
/// Templates and negotiation are built from this, never from the token's vendor name: a module
/// upgrade that adds a mechanism is used at once.
public struct TokenCapabilities: Sendable, Hashable, Codable {
    /// Each wrap method the token offers (wrap and unwrap), with the mechanism that does it there.
    public let wrapMethods: [WrapMethod: MechanismName]
    /// Whether the token generates and uses EC keys (`CKM_EC_KEY_PAIR_GEN` and `CKM_ECDSA`).
    public let holdsEC: Bool
    /// Whether unwrapping an EC private key needs its public value in the template (NSS softoken's
    /// `CKA_NSS_DB`, 0xD5A0DB00: without it `CKR_TEMPLATE_INCOMPLETE`).
    public let ecUnwrapNeedsPublicValue: Bool
    /// Key attributes the token will not store on a token object, with how that was found.
    public let refusedAttributes: [AttributeSupport]
    /// What the probe noticed that changes nothing by itself (a mechanism not used, and why).
    public let notes: [String]

    public init(
        wrapMethods: [WrapMethod: MechanismName], holdsEC: Bool, ecUnwrapNeedsPublicValue: Bool = false,
        refusedAttributes: [AttributeSupport], notes: [String] = []
    ) {
        self.wrapMethods = wrapMethods
        self.holdsEC = holdsEC
        self.ecUnwrapNeedsPublicValue = ecUnwrapNeedsPublicValue
        self.refusedAttributes = refusedAttributes.sorted { $0.attribute < $1.attribute }
        self.notes = notes
    }

    /// What SoftHSM2 offers, for endpoints that are not probed (test doubles).
    public static let complete = TokenCapabilities(
        wrapMethods: [.aesKeyWrap: .aesKeyWrap, .aesKeyWrapWithPadding: .aesKeyWrapPad], holdsEC: true,
        refusedAttributes: [])

    /// The attributes refused on token objects, by name.
    public var refused: Set<AttributeName> { Set(refusedAttributes.map(\.attribute)) }

    /// The mechanism this token uses for `method` (`nil`: it has none).
    public func mechanism(for method: WrapMethod) -> MechanismName? {
        wrapMethods[method]
    }

    /// Whether the token can take part in replication at all: it can hold a transport key and wrap
    /// with some method.
    public var canReplicate: Bool { !wrapMethods.isEmpty }
}

/// One key attribute a token does not store on token objects, and how hsmsync knows.
public struct AttributeSupport: Sendable, Hashable, Codable {
    public let attribute: AttributeName
    /// The return code or reading that showed it, e.g. `C_GenerateKey (token object): CKR_GENERAL_ERROR`.
    public let evidence: String

    public init(attribute: AttributeName, evidence: String) {
        self.attribute = attribute
        self.evidence = evidence
    }
}
