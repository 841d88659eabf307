/// The first section of a bundle: where the backup comes from, when, and under which key.
public struct BackupManifest: Codable, Sendable, Hashable {
    /// The fleet's `name`.
    public var fleet: String
    /// The HSM the keys were read from.
    public var source: BackupSourceToken
    /// When the bundle was made (RFC 3339, UTC, seconds).
    public var createdAt: String
    /// The key every wrapped key in the bundle is wrapped under.
    public var backupKey: BackupKeyReference
    /// The fleet's `keys:` scope when the bundle was made.
    public var scope: BackupScope
    /// How many sections of each kind follow (checked on reading).
    public var counts: BackupCounts
    /// `hsmsync <version>`.
    public var tool: String

    public init(
        fleet: String, source: BackupSourceToken, createdAt: String, backupKey: BackupKeyReference,
        scope: BackupScope, counts: BackupCounts, tool: String
    ) {
        self.fleet = fleet
        self.source = source
        self.createdAt = createdAt
        self.backupKey = backupKey
        self.scope = scope
        self.counts = counts
        self.tool = tool
    }
}

/// The source token's identity.
public struct BackupSourceToken: Codable, Sendable, Hashable {
    /// The HSM's fleet name.
    public var hsm: String
    public var role: String
    public var label: String
    public var serial: String
    public var model: String
    public var manufacturer: String

    public init(hsm: String, role: String, label: String, serial: String, model: String, manufacturer: String) {
        self.hsm = hsm
        self.role = role
        self.label = label
        self.serial = serial
        self.model = model
        self.manufacturer = manufacturer
    }
}

/// Which key wraps the bundle's keys, and how to recognise it in another HSM.
public struct BackupKeyReference: Codable, Sendable, Hashable {
    /// Its label.
    public var label: String
    /// Whether it is the fleet's transport key (DESIGN.md's default) or a distinct backup key.
    public var isTransportKey: Bool
    /// The transport check value (``TransportCheckValue``): 16 hex digits.
    public var checkValue: String

    public init(label: String, isTransportKey: Bool, checkValue: String) {
        self.label = label
        self.isTransportKey = isTransportKey
        self.checkValue = checkValue
    }
}

/// The fleet's key scope.
public struct BackupScope: Codable, Sendable, Hashable {
    public var include: [String]
    public var exclude: [String]

    public init(include: [String], exclude: [String]) {
        self.include = include
        self.exclude = exclude
    }
}

/// Section counts.
public struct BackupCounts: Codable, Sendable, Hashable {
    public var keys: Int
    public var objects: Int
    public var excluded: Int

    public init(keys: Int, objects: Int, excluded: Int) {
        self.keys = keys
        self.objects = objects
        self.excluded = excluded
    }
}
