/// The fleet file's `service:` section: how `hsmsync serve` runs for this fleet.
public struct ServiceSettings: Sendable, Hashable {
    /// Unique per running instance; shown in the status and recorded in the log.
    public let instance: String
    public let listen: ListenAddress
    /// TLS (and client certificates, with `clientCA`); required unless `listen` is loopback.
    public let tls: TLSSettings?
    public let database: DatabaseLocation
    /// The database password (PostgreSQL), from `env:` or `file:` like PINs; never in the URL.
    public let databasePassword: PINSource?
    /// The bearer-token file (tokens stored as SHA-256 hashes, each with a role).
    public let tokensPath: String
    public let schedule: ScheduleSettings
    public let sync: SyncSettings
    public let alerts: [AlertTarget]
    /// Whether `/metrics` needs a reader token (default: no, for Prometheus on a private network).
    public let metricsNeedToken: Bool
    /// How long the leader lease lasts without a renewal (`service.lease`, seconds): the longest a
    /// dead leader's work waits for another instance. Renewed every third of it.
    public let leaseSeconds: Double

    /// The default lease: a dead leader is replaced within about 15 s.
    public static let defaultLeaseSeconds = 15.0

    public init(
        instance: String, listen: ListenAddress, tls: TLSSettings?, database: DatabaseLocation,
        databasePassword: PINSource?, tokensPath: String, schedule: ScheduleSettings, sync: SyncSettings,
        alerts: [AlertTarget], metricsNeedToken: Bool, leaseSeconds: Double = defaultLeaseSeconds
    ) {
        self.leaseSeconds = leaseSeconds
        self.instance = instance
        self.listen = listen
        self.tls = tls
        self.database = database
        self.databasePassword = databasePassword
        self.tokensPath = tokensPath
        self.schedule = schedule
        self.sync = sync
        self.alerts = alerts
        self.metricsNeedToken = metricsNeedToken
    }
}

/// `host:port` the service listens on.
public struct ListenAddress: Sendable, Hashable, CustomStringConvertible {
    public let host: String
    public let port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Whether only this machine can connect (plain HTTP is allowed only then).
    public var isLoopback: Bool { ["127.0.0.1", "::1", "localhost"].contains(host) || host.hasPrefix("127.") }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}

/// Server certificate and key (PEM files), and optionally the CA that client certificates must chain to.
public struct TLSSettings: Sendable, Hashable {
    public let certificatePath: String
    public let keyPath: String
    public let clientCAPath: String?

    public init(certificatePath: String, keyPath: String, clientCAPath: String?) {
        self.certificatePath = certificatePath
        self.keyPath = keyPath
        self.clientCAPath = clientCAPath
    }
}

/// Where the service keeps its state.
public enum DatabaseLocation: Sendable, Hashable, CustomStringConvertible {
    /// The embedded default: a SQLite file.
    case sqlite(path: String)
    /// A PostgreSQL server (`postgres://user@host:port/database`), the password given separately.
    case postgres(host: String, port: Int, user: String, database: String, tls: DatabaseTLS = .disable)

    public var description: String {
        switch self {
        case .sqlite(let path): return "sqlite:\(path)"
        case .postgres(let host, let port, let user, let database, let tls):
            return "postgres://\(user)@\(host):\(port)/\(database)\(tls.query)"
        }
    }
}

/// Whether and how the connection to PostgreSQL is encrypted: the URL's `sslmode` (and
/// `sslrootcert`), with libpq's meanings for the modes hsmsync accepts.
public enum DatabaseTLS: Sendable, Hashable {
    /// Plain TCP (`sslmode=disable`, the default): loopback or a network the operator trusts.
    case disable
    /// TLS without checking the server's certificate (`sslmode=require`).
    case require
    /// TLS to a server whose certificate chains to `rootCertificate` (PEM; the system's roots
    /// when `nil`) and names the host (`sslmode=verify-full`).
    case verifyFull(rootCertificate: String?)

    /// The URL query that gives this mode back (empty for the default).
    public var query: String {
        switch self {
        case .disable: return ""
        case .require: return "?sslmode=require"
        case .verifyFull(let root): return "?sslmode=verify-full" + (root.map { "&sslrootcert=\($0)" } ?? "")
        }
    }
}

/// When scheduled work runs (cron, UTC).
public struct ScheduleSettings: Sendable, Hashable {
    /// The nightly parity audit.
    public let audit: CronSchedule?
    /// A restore drill of the newest backup.
    public let drill: CronSchedule?

    public init(audit: CronSchedule?, drill: CronSchedule?) {
        self.audit = audit
        self.drill = drill
    }
}

/// How the fleet is watched and kept in sync.
public struct SyncSettings: Sendable, Hashable {
    public enum Mode: String, Sendable, Hashable, CaseIterable {
        /// Watch and report what reconcile would copy; copy nothing.
        case plan
        /// Copy what `reconcile --apply` would copy, every interval.
        case automatic
    }

    public let mode: Mode
    /// Seconds between watch cycles.
    public let interval: Double

    public init(mode: Mode, interval: Double) {
        self.mode = mode
        self.interval = interval
    }
}

/// Where alerts go.
public enum AlertTarget: Sendable, Hashable {
    /// A URL that receives a JSON POST on every transition.
    case webhook(String)
}
