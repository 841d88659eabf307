public import HSMSyncModel

/// A token held in memory, for unit tests of the engine's logic (drift, planning, journaling
/// decisions) through ``InMemoryEndpoint``. Several endpoints may open the same token, as several
/// sessions open one HSM; what one installs the others see on their next scan.
public actor InMemoryToken {
    public nonisolated let description: TokenDescription
    public private(set) var objects: [InMemoryObject] = []
    /// What the token reports it can do (a SoftHSM2-like token unless a test says otherwise).
    public private(set) var capabilities = TokenCapabilities.complete

    public init(label: String, serial: String) {
        description = TokenDescription(
            label: label, serialNumber: serial, model: "in-memory", manufacturer: "hsmsync tests", firmware: "1.0")
    }

    /// Makes the token report `capabilities` (a token without EC, without a wrap method, …).
    public func setCapabilities(_ capabilities: TokenCapabilities) {
        self.capabilities = capabilities
    }

    /// Adds `object` (a second object under one identity is allowed, as on a real token).
    public func add(_ object: InMemoryObject) {
        objects.append(object)
    }

    /// Removes every object under `identity`; returns how many went.
    @discardableResult
    public func remove(_ identity: KeyIdentity) -> Int {
        let before = objects.count
        objects.removeAll { $0.identity == identity }
        return before - objects.count
    }
}
