public import Foundation

/// What `hsmsync fleet check` found, per HSM: the document `--json` prints.
public struct FleetCheckReport: Sendable, Codable {
    public let fleet: String
    /// `ok` when every HSM was reached and logged in, else `error`.
    public let status: String
    public let generatedAt: Date
    public let hsms: [HSMCheck]

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
        /// Why the HSM failed, when it did (never contains a PIN).
        public let error: String?
        /// The failure's category, when it failed.
        public let errorCategory: String?

        package init(
            name: String, role: HSMRole, site: String, module: String, server: String?, reachable: Bool,
            token: TokenSummary?, login: String, mechanisms: [MechanismSupport], transportKey: TransportKeyPresence?,
            error: String?, errorCategory: String?
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
            self.error = error
            self.errorCategory = errorCategory
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

    package init(fleet: String, status: String, generatedAt: Date, hsms: [HSMCheck]) {
        self.fleet = fleet
        self.status = status
        self.generatedAt = generatedAt
        self.hsms = hsms
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
