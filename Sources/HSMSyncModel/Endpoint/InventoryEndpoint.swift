/// What every endpoint does: say which token it opened, take its inventory, report what it can do.
public protocol InventoryEndpoint: Sendable {
    /// The HSM as the fleet file describes it.
    nonisolated var configuration: HSMConfiguration { get }

    /// The token as found when the endpoint opened (`nil` once closed).
    func token() async -> TokenDescription?

    /// Takes the inventory of the token (every object, fingerprints included) and remembers it:
    /// later operations address objects by identity as this scan found them.
    ///
    /// - Parameter progress: called with (objects read, objects found).
    func scan(transportLabel: String, scope: KeyScope, progress: (@Sendable (Int, Int) -> Void)?) async throws
        -> TokenScanResult

    /// The check value of the transport key the last scan found (`nil`: none, or not computable).
    func scannedTransportCheckValue() async -> String?

    /// How many objects carry `label` (of `objectClass`, when given): a fresh search, not the scan.
    func countObjects(label: String, objectClass: ObjectKind?) async throws -> Int

    /// The mechanisms the token lists.
    func mechanisms() async throws -> Set<MechanismName>

    /// What the token offers for each mechanism hsmsync relies on (`fleet check`).
    func probeMechanisms() async throws -> [MechanismSupport]

    /// What the token can do for replication (probed once per endpoint, then remembered): wrap
    /// methods, EC, and the key attributes it refuses on token objects.
    func capabilities() async throws -> TokenCapabilities

    /// Logs out and releases the session and the token's lock. Idempotent.
    func close() async
}

extension InventoryEndpoint {
    /// The HSM's fleet name.
    public nonisolated var name: String { configuration.name }
}

/// What one scan of one token found (the engine builds a ``TokenInventory`` from it).
public struct TokenScanResult: Sendable {
    public let objects: [KeyRecord]
    public let transport: TransportKeyState
    /// Objects that vanished between the enumeration and their read (deleted by someone else).
    public let vanished: Int
    public let phases: ScanPhases

    public init(objects: [KeyRecord], transport: TransportKeyState, vanished: Int, phases: ScanPhases) {
        self.objects = objects
        self.transport = transport
        self.vanished = vanished
        self.phases = phases
    }
}
