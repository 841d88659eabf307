/// One HSM of the fleet file.
public struct HSMConfiguration: Sendable, Hashable {
    /// Unique name used everywhere else (reports, commands, the audit log).
    public let name: String
    public let role: HSMRole
    /// Free text, shown in reports.
    public let site: String
    /// The PKCS#11 module, resolved against the fleet file's directory when relative.
    public let modulePath: String
    /// For p11-kit's client module: the `P11_KIT_SERVER_ADDRESS` of this HSM's server.
    public let serverAddress: String?
    /// Passed to `C_Initialize` as `pReserved`, for modules that need it (NSS softoken's
    /// `configdir='sql:…'`). Never a secret: it is shown in reports like the module path.
    public let initArguments: String?
    /// Selects exactly one token of the module.
    public let token: TokenSelector
    /// Where the user PIN comes from.
    public let pin: PINSource

    public init(
        name: String, role: HSMRole, site: String, modulePath: String, serverAddress: String?,
        initArguments: String? = nil, token: TokenSelector, pin: PINSource
    ) {
        self.name = name
        self.role = role
        self.site = site
        self.modulePath = modulePath
        self.serverAddress = serverAddress
        self.initArguments = initArguments
        self.token = token
        self.pin = pin
    }
}
