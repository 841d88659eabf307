/// What an entry records, as a dotted name (`key.generate`, `backup.create`, …). An open
/// struct: commands add their own; the reserved names of AUDIT-LOG.md §3 are constants.
public struct AuditAction: RawRepresentable, Hashable, Sendable, CustomStringConvertible, ExpressibleByStringLiteral {
    public let rawValue: String

    public init(rawValue: String) {
        self.rawValue = rawValue
    }

    public init(_ rawValue: String) {
        self.rawValue = rawValue
    }

    public init(stringLiteral value: String) {
        self.rawValue = value
    }

    public var description: String { rawValue }

    /// The first entry of every log: origin, vkey, policy and config digests, tool version.
    public static let logOpen = AuditAction("log.open")
    /// Written by recovery after cutting a torn tail: `truncated_bytes`, `sha256`, `last_good_seq`.
    public static let logRecovered = AuditAction("log.recovered")
    /// An operator's note (`hsmsync log note`).
    public static let logNote = AuditAction("log.note")
    /// A ceremony begins; its first input is the SHA-256 of its YAML.
    public static let ceremonyOpen = AuditAction("ceremony.open")
    /// A ceremony ends; the checkpoint that follows must meet the witness quorum.
    public static let ceremonyClose = AuditAction("ceremony.close")
    /// An exception report: the ceremony departed from its script.
    public static let deviation = AuditAction("deviation")
    /// An HSM's own audit export: its hash, last digest, unlogged counters.
    public static let hsmAuditLog = AuditAction("hsm.auditlog")
    /// A participant's signature over an entry.
    public static let attest = AuditAction("attest")
}

/// The outcome an entry records. `unknown` is the fail-closed answer to an ambiguous HSM error
/// (SECURITY.md R18).
public struct AuditResult: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: String

    public init(rawValue: String) {
        self.rawValue = rawValue
    }

    public var description: String { rawValue }

    public static let ok = AuditResult(rawValue: "ok")
    public static let failed = AuditResult(rawValue: "failed")
    public static let refused = AuditResult(rawValue: "refused")
    public static let unknown = AuditResult(rawValue: "unknown")
}

/// Who did it: an identity, the role it acted in, how it was authenticated.
public struct AuditActor: Hashable, Sendable {
    /// E.g. `alice@example.org`.
    public var id: String
    /// E.g. `CO2`, `operator`, `service`.
    public var role: String?
    /// E.g. `pkcs11-login:slot3:CKU_USER`.
    public var auth: String?

    public init(id: String, role: String? = nil, auth: String? = nil) {
        self.id = id
        self.role = role
        self.auth = auth
    }
}
