public import Foundation

/// What `hsmsync fleet check` found, per HSM: the document `--json` prints.
public struct FleetCheckReport: Sendable, Codable {
    public let fleet: String
    /// `ok` when every HSM was reached and logged in and can replicate with another; `degraded` when
    /// every HSM was reached but one cannot replicate with any other (``HSMCheck/degraded``); else
    /// `error`.
    public let status: String
    public let generatedAt: Date
    public let hsms: [HSMCheck]
    /// For every two HSMs whose capabilities were probed: the wrap method each kind of key would
    /// travel by between them, or why it cannot.
    public let pairs: [PairNegotiation]

    /// One HSM's result.
    public struct HSMCheck: Sendable, Codable {
        public let name: String
        public let role: HSMRole
        public let site: String
        public let module: String
        public let server: String?
        /// Whether the token was found through its module.
        public let reachable: Bool
        public let token: TokenSummary?
        /// `ok`, `failed` or `not-attempted`.
        public let login: String
        public let mechanisms: [MechanismSupport]
        public let transportKey: TransportKeyPresence?
        /// What the token can do for replication (``TokenCapabilities``), when it was probed.
        public let capabilities: TokenCapabilities?
        /// Why this HSM cannot take part in replication, when it cannot: no wrap method, or none
        /// shared with any other HSM of the fleet.
        public let degraded: String?
        /// Why the HSM failed, when it did (never contains a PIN).
        public let error: String?
        /// The failure's category, when it failed.
        public let errorCategory: String?

        package init(
            name: String, role: HSMRole, site: String, module: String, server: String?, reachable: Bool,
            token: TokenSummary?, login: String, mechanisms: [MechanismSupport], transportKey: TransportKeyPresence?,
            capabilities: TokenCapabilities? = nil, degraded: String? = nil, error: String?, errorCategory: String?
        ) {
            self.name = name
            self.role = role
            self.site = site
            self.module = module
            self.server = server
            self.reachable = reachable
            self.token = token
            self.login = login
            self.mechanisms = mechanisms
            self.transportKey = transportKey
            self.capabilities = capabilities
            self.degraded = degraded
            self.error = error
            self.errorCategory = errorCategory
        }

        /// This check, saying why the HSM cannot take part in replication.
        package func degraded(_ reason: String) -> HSMCheck {
            HSMCheck(
                name: name, role: role, site: site, module: module, server: server, reachable: reachable,
                token: token, login: login, mechanisms: mechanisms, transportKey: transportKey,
                capabilities: capabilities, degraded: reason, error: error, errorCategory: errorCategory)
        }
    }

    /// The token as the module describes it.
    public struct TokenSummary: Sendable, Codable, Hashable {
        public let uri: String
        public let label: String
        public let serial: String
        public let model: String
        public let manufacturer: String
        public let firmware: String

        package init(uri: String, label: String, serial: String, model: String, manufacturer: String, firmware: String)
        {
            self.uri = uri
            self.label = label
            self.serial = serial
            self.model = model
            self.manufacturer = manufacturer
            self.firmware = firmware
        }
    }

    /// Whether the fleet's transport key is on the token.
    public struct TransportKeyPresence: Sendable, Codable, Hashable {
        public let label: String
        /// `present` (exactly one secret key), `absent`, or `ambiguous` (more than one object).
        public let state: String
        public let objects: Int

        package init(label: String, state: String, objects: Int) {
            self.label = label
            self.state = state
            self.objects = objects
        }
    }

    /// The exit category for the whole check: invalid input wins over runtime failures.
    public var failureCategory: FailureCategory? {
        let categories = hsms.compactMap(\.errorCategory)
        if categories.contains("invalid-input") { return .invalidInput }
        if categories.isEmpty { return nil }
        return .runtime
    }

    /// Whether every HSM was reached but one cannot replicate with any other (exit 1).
    public var isDegraded: Bool { status == "degraded" }

    package init(fleet: String, status: String, generatedAt: Date, hsms: [HSMCheck], pairs: [PairNegotiation] = []) {
        self.fleet = fleet
        self.status = status
        self.generatedAt = generatedAt
        self.hsms = hsms
        self.pairs = pairs
    }
}

extension FailureCategory {
    /// The category's name in reports: `integrity`, `invalid-input`, `runtime`.
    public var reportName: String {
        switch self {
        case .integrity: return "integrity"
        case .invalidInput: return "invalid-input"
        case .runtime: return "runtime"
        }
    }
}
