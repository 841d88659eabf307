public import HSMSyncModel
import PKCS11

/// The inventory operations of ``InventoryEndpoint`` on a local PKCS#11 token.
extension HSMWorker: HSMEndpoint {
    public func token() -> TokenDescription? {
        tokenInfo.map {
            TokenDescription(
                label: $0.label, serialNumber: $0.serialNumber, model: $0.model, manufacturer: $0.manufacturer,
                firmware: $0.firmwareVersion.description)
        }
    }

    public func scan(transportLabel: String, scope: KeyScope, progress: (@Sendable (Int, Int) -> Void)?) throws
        -> TokenScanResult
    {
        let scan = try Self.device { try scanToken(transportLabel: transportLabel, scope: scope, progress: progress) }
        return TokenScanResult(
            objects: scan.objects, transport: scan.transport, vanished: scan.vanished, phases: scan.phases)
    }

    public func scannedTransportCheckValue() -> String? {
        transportCheckValueFromScan
    }

    public func countObjects(label: String, objectClass: ObjectKind?) throws -> Int {
        let template: [Attribute] =
            [.label(label)] + (objectClass.flatMap(SpecNames.objectClass).map { [.class($0)] } ?? [])
        return try Self.device { try withSession { try $0.findObjects(matching: template).count } }
    }

    public func mechanisms() throws -> Set<MechanismName> {
        try Self.device {
            try withSession { session in Set(try session.module.mechanisms(session.slot).map(SpecNames.mechanismName)) }
        }
    }

    public func probeMechanisms() throws -> [MechanismSupport] {
        try Self.device { try withSession { try $0.probeMechanisms() } }
    }

    public func capabilities() throws -> TokenCapabilities {
        if let probedCapabilities { return probedCapabilities }
        let tokenObjects = isReadWrite
        let key = tokenInfo.map {
            CapabilityCache.key(module: configuration.modulePath, serial: $0.serialNumber, label: $0.label)
        }
        if let key, let cached = CapabilityCache.lookup(key, tokenObjects: tokenObjects) {
            probedCapabilities = cached
            return cached
        }
        let probed = try Self.device { try withSession { try $0.probeCapabilities(tokenObjects: tokenObjects) } }
        if let key { CapabilityCache.store(probed, for: key, tokenObjects: tokenObjects) }
        probedCapabilities = probed
        return probed
    }

    /// The attributes the token refuses on token objects (none when the probe fails: the token's own
    /// error then says what it refused).
    var refusedAttributes: Set<AttributeName> {
        (try? capabilities())?.refused ?? []
    }

    /// Runs `body`, turning the binding's errors into the model's ``DeviceError`` (the engine never
    /// sees the binding's types).
    static func device<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as PKCS11Error {
            throw DeviceError(error)
        }
    }
}
