/// One HSM as the engine works it: the operations every front end (the command line, the service,
/// a site agent) needs from a token, in the model's words — identities, templates, envelopes,
/// reports — never PKCS#11 handles or sessions.
///
/// An endpoint is opened by an ``HSMConnector`` (logged in, read-only or read-write) and used until
/// ``close()``. Operations on objects address them by ``KeyIdentity`` as the endpoint's last
/// ``scan(transportLabel:scope:progress:)`` found them; the transport key is the one that scan
/// found. Implementations: the PKCS#11 endpoint (a module loaded in this process) and test doubles;
/// a site agent serves the same operations over the network.
///
/// The operations are grouped by use: ``InventoryEndpoint`` (token, scan, capabilities),
/// ``ReplicationEndpoint`` (wrap, stage, verify, promote), ``TransportEndpoint`` (the transport
/// key), ``BackupEndpoint`` (bundles), ``KeyAdministrationEndpoint`` (ceremony key work and the log's
/// HSM-held key).
public protocol HSMEndpoint: InventoryEndpoint, ReplicationEndpoint, TransportEndpoint, BackupEndpoint,
    KeyAdministrationEndpoint
{}

/// Opens endpoints for the HSMs of a fleet.
public protocol HSMConnector: Sendable {
    /// Opens `hsms` in parallel, returning one connection per HSM in the same order. One HSM
    /// failing never stops the others; two entries that resolve to the same token are an error in
    /// the fleet file (every entry after the first fails).
    ///
    /// - Parameter readWrite: a read-write session (and the token's lock); read-only otherwise.
    func connect(_ hsms: [HSMConfiguration], readWrite: Bool, options: ConnectOptions) async -> [HSMConnection]
}

extension HSMConnector {
    /// Opens `hsms` with the default options.
    public func connect(_ hsms: [HSMConfiguration], readWrite: Bool) async -> [HSMConnection] {
        await connect(hsms, readWrite: readWrite, options: ConnectOptions())
    }
}

/// How an endpoint logs in when it opens.
public struct ConnectOptions: Sendable {
    /// Log in as the user (false: public objects only).
    public var login: Bool
    /// Try a login even when the token says one attempt is left.
    public var allowFinalTry: Bool
    /// What this process does, for the holder line of the token lock another process prints.
    public var purpose: String?
    /// Where PINs come from.
    public var pins: (any PINProvider)?

    public init(login: Bool = true, allowFinalTry: Bool = false, purpose: String? = nil, pins: (any PINProvider)? = nil)
    {
        self.login = login
        self.allowFinalTry = allowFinalTry
        self.purpose = purpose
        self.pins = pins
    }
}

/// The outcome of reaching one HSM.
public enum HSMConnection: Sendable {
    case connected(any HSMEndpoint)
    case failed(HSMConfiguration, HSMError)

    /// The HSM's configuration either way.
    public var configuration: HSMConfiguration {
        switch self {
        case .connected(let endpoint): return endpoint.configuration
        case .failed(let configuration, _): return configuration
        }
    }

    /// The endpoint, when connected.
    public var endpoint: (any HSMEndpoint)? {
        if case .connected(let endpoint) = self { return endpoint }
        return nil
    }

    /// The error, when not connected.
    public var error: HSMError? {
        if case .failed(_, let error) = self { return error }
        return nil
    }
}
