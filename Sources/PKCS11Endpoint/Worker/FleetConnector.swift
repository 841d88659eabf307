public import HSMSyncModel
public import Logging
public import PKCS11
import SignedLog

/// Opens workers for the HSMs of a fleet, all in parallel; one HSM failing never stops the others.
public struct FleetConnector: HSMConnector {
    public let registry: ModuleRegistry
    public let logger: Logger
    /// Where PINs come from unless a connect call names its own provider.
    public let pins: any PINProvider

    /// A connector with modules of its own, loaded on first use and finalised when the last copy of
    /// the connector goes away.
    public init(logger: Logger, pins: any PINProvider = SourcePINs()) {
        self.init(registry: ModuleRegistry(), logger: logger, pins: pins)
    }

    public init(registry: ModuleRegistry, logger: Logger, pins: any PINProvider = SourcePINs()) {
        self.registry = registry
        self.logger = logger
        self.pins = pins
    }

    /// Connects to `hsms`, returning one connection per HSM in the same order.
    ///
    /// Two entries that resolve to the same token (same manufacturer, model, serial and label) are an
    /// error in the fleet file: every entry after the first is failed with `sameTokenAs`.
    public func connect(
        _ hsms: [HSMConfiguration], readWrite: Bool, options: ConnectOptions
    ) async -> [HSMConnection] {
        var withPINs = options
        if withPINs.pins == nil { withPINs.pins = pins }
        let options = withPINs
        let results = await withTaskGroup(of: (Int, HSMConnection).self) { group in
            for (index, hsm) in hsms.enumerated() {
                group.addTask {
                    (index, await connect(hsm, readWrite: readWrite, options: options))
                }
            }
            var results = [HSMConnection?](repeating: nil, count: hsms.count)
            for await (index, connection) in group {
                results[index] = connection
            }
            return results.map { $0! }
        }

        var owners: [String: String] = [:]
        var checked: [HSMConnection] = []
        for connection in results {
            guard let endpoint = connection.endpoint, let token = await endpoint.token() else {
                checked.append(connection)
                continue
            }
            // The label too: NSS softoken and opencryptoki give all their tokens one serial.
            let identity = "\(token.manufacturer)\u{0}\(token.model)\u{0}\(token.serialNumber)\u{0}\(token.label)"
            if let owner = owners[identity] {
                await endpoint.close()
                let error = HSMError(hsm: endpoint.name, .sameTokenAs(other: owner, serial: token.serialNumber))
                checked.append(.failed(endpoint.configuration, error))
            } else {
                owners[identity] = endpoint.name
                checked.append(connection)
            }
        }
        return checked
    }

    private func connect(_ hsm: HSMConfiguration, readWrite: Bool, options: ConnectOptions) async
        -> HSMConnection
    {
        let module: PKCS11Module
        do {
            module = try await registry.module(
                path: hsm.modulePath, serverAddress: hsm.serverAddress, initArguments: hsm.initArguments)
        } catch {
            return .failed(hsm, HSMError(hsm: hsm.name, .moduleNotLoadable(reason: "\(error)")))
        }
        let worker = HSMWorker(configuration: hsm, module: module, logger: logger)
        do {
            try await worker.open(readWrite: readWrite, options: options)
            return .connected(worker)
        } catch {
            return .failed(hsm, error)
        }
    }
}
