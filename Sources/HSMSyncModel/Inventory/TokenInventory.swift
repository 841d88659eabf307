/// Everything one scan of one token found: the document `hsmsync inventory --json` prints per HSM.
public struct TokenInventory: Sendable, Codable {
    public let hsm: String
    public let role: HSMRole
    public let site: String
    public let token: TokenSummary
    /// Every object the session sees, odd ones included.
    public let objects: [KeyRecord]
    public let transport: TransportKeyState
    /// Objects that vanished between `C_FindObjects` and their read (deleted by someone else).
    public let vanished: Int
    public let scanSeconds: Double
    /// Where the scan spent its time.
    public let phases: ScanPhases
    /// What the token can do for replication (`nil` when the probe failed).
    public let capabilities: TokenCapabilities?

    public init(
        hsm: String, role: HSMRole, site: String, token: TokenSummary, objects: [KeyRecord],
        transport: TransportKeyState,
        vanished: Int, scanSeconds: Double, phases: ScanPhases, capabilities: TokenCapabilities? = nil
    ) {
        self.hsm = hsm
        self.role = role
        self.site = site
        self.token = token
        self.objects = objects
        self.transport = transport
        self.vanished = vanished
        self.scanSeconds = scanSeconds
        self.phases = phases
        self.capabilities = capabilities
    }
}

/// Seconds spent in each phase of a token scan (for `docs/performance.md` and `--json`).
public struct ScanPhases: Sendable, Codable, Hashable {
    /// `C_FindObjects` enumeration.
    public let find: Double
    /// One `C_GetAttributeValue` per object.
    public let attributes: Double
    /// Token-side fingerprints (transport wrap, CMAC, certificate values) and pairing.
    public let fingerprints: Double

    public init(find: Double, attributes: Double, fingerprints: Double) {
        self.find = find
        self.attributes = attributes
        self.fingerprints = fingerprints
    }

    package struct Clock {
        private var last = ContinuousClock.now
        package init() {}
        package mutating func lap() -> Double {
            let now = ContinuousClock.now
            defer { last = now }
            let elapsed = now - last
            return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        }
    }
}

/// The token an inventory was taken of.
public struct TokenSummary: Sendable, Codable, Hashable {
    public let label: String
    public let serial: String
    public let model: String
    public let manufacturer: String

    public init(label: String, serial: String, model: String, manufacturer: String) {
        self.label = label
        self.serial = serial
        self.model = model
        self.manufacturer = manufacturer
    }
}

/// The fleet's transport key as one token holds it.
public struct TransportKeyState: Sendable, Codable, Hashable {
    public let label: String
    /// How many objects carry the transport label (exactly one is right).
    public let objects: Int
    /// What is wrong with it as a KEK (SECURITY.md R1/R2); empty when it meets every rule.
    public let violations: [String]
    /// The transport check value, when it could be computed.
    public let checkValue: String?
    /// Why there is no check value, when there is none.
    public let checkValueUnavailable: String?

    public init(label: String, objects: Int, violations: [String], checkValue: String?, checkValueUnavailable: String?)
    {
        self.label = label
        self.objects = objects
        self.violations = violations
        self.checkValue = checkValue
        self.checkValueUnavailable = checkValueUnavailable
    }

    /// `present`, `absent` or `ambiguous`.
    public var state: String {
        objects == 0 ? "absent" : objects == 1 ? "present" : "ambiguous"
    }

    /// Whether keys may be wrapped under it (present once, no violation, check value known).
    public var isUsable: Bool {
        objects == 1 && violations.isEmpty && checkValue != nil
    }
}
