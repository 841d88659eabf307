public import Foundation

/// The parity report (DESIGN.md): what `hsmsync audit --json` prints. Fields are only ever added.
public struct AuditReport: Sendable, Codable {
    public let fleet: String
    /// `parity`, `drift` or `error` (an HSM could not be audited, or the audit could not be
    /// recorded in the fleet's signed log: see ``record``).
    public internal(set) var status: Status
    public let generatedAt: Date
    public let durationSeconds: Double
    public let hsms: [HSMSummary]
    public let findings: [Finding]
    /// Findings per kind, every kind present (zero when none).
    public let counts: [String: Int]
    /// What to do next, for each kind that has findings.
    public let nextSteps: [String: String]
    /// Objects listed but not compared: ghosts, vendor classes, objects without identity.
    public let oddObjects: [OddObject]
    /// Keys whose material could not be compared, and why (never counted as a mismatch).
    public let notCompared: [NotCompared]
    /// Whether `policy` findings counted towards the status.
    public let strictPolicy: Bool
    /// Whether the audit's entry reached the fleet's signed log; absent when the fleet has no log.
    public internal(set) var record: Record?

    public enum Status: String, Sendable, Codable, CaseIterable {
        case parity, drift, error
    }

    /// One HSM in the report.
    public struct HSMSummary: Sendable, Codable {
        public let name: String
        public let role: HSMRole
        public let site: String
        public let reachable: Bool
        /// `ok`, or why the HSM was not audited: `unreachable` (not reached), `pin-refused` (reached,
        /// the PIN refused: `error` names its source), `failed` (reached, another failure).
        public let state: String
        /// Every object the token holds (odd ones and the transport key included).
        public let objects: Int
        /// The objects compared across the fleet (in scope, not odd, not the transport key).
        public let keysInScope: Int
        public let token: TokenSummary?
        public let transport: TransportKeyState?
        public let findings: Int
        public let error: String?
        public let scanSeconds: Double?

        package init(
            name: String, role: HSMRole, site: String, reachable: Bool, state: String, objects: Int, keysInScope: Int,
            token: TokenSummary?, transport: TransportKeyState?, findings: Int, error: String?, scanSeconds: Double?
        ) {
            self.name = name
            self.role = role
            self.site = site
            self.reachable = reachable
            self.state = state
            self.objects = objects
            self.keysInScope = keysInScope
            self.token = token
            self.transport = transport
            self.findings = findings
            self.error = error
            self.scanSeconds = scanSeconds
        }
    }

    /// An object the audit lists but does not compare.
    public struct OddObject: Sendable, Codable, Hashable {
        public let hsm: String
        public let key: KeySummary
        public let reasons: [String]

        package init(hsm: String, key: KeySummary, reasons: [String]) {
            self.hsm = hsm
            self.key = key
            self.reasons = reasons
        }
    }

    /// A key present on two HSMs whose material could not be compared.
    public struct NotCompared: Sendable, Codable, Hashable {
        public let hsm: String
        public let reference: String
        public let key: KeySummary
        public let reason: String

        package init(hsm: String, reference: String, key: KeySummary, reason: String) {
            self.hsm = hsm
            self.reference = reference
            self.key = key
            self.reason = reason
        }
    }

    public init(
        fleet: String, status: Status, generatedAt: Date, durationSeconds: Double, hsms: [HSMSummary],
        findings: [Finding],
        counts: [String: Int], oddObjects: [OddObject], notCompared: [NotCompared], strictPolicy: Bool
    ) {
        self.fleet = fleet
        self.status = status
        self.generatedAt = generatedAt
        self.durationSeconds = durationSeconds
        self.hsms = hsms
        self.findings = findings
        self.counts = counts
        self.nextSteps = Dictionary(
            uniqueKeysWithValues: Set(findings.map(\.kind)).map { ($0.rawValue, $0.nextStep) })
        self.oddObjects = oddObjects
        self.notCompared = notCompared
        self.strictPolicy = strictPolicy
    }
}
