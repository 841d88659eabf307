public import HSMSyncModel
public import Logging
public import PKCS11
import SignedLog

/// The outcome of reaching one HSM.
public enum HSMConnection: Sendable {
    case connected(HSMWorker)
    case failed(HSMConfiguration, HSMError)

    /// The HSM's configuration either way.
    public var configuration: HSMConfiguration {
        switch self {
        case .connected(let worker): return worker.configuration
        case .failed(let configuration, _): return configuration
        }
    }

    /// The worker, when connected.
    public var worker: HSMWorker? {
        if case .connected(let worker) = self { return worker }
        return nil
    }

    /// The error, when not connected.
    public var error: HSMError? {
        if case .failed(_, let error) = self { return error }
        return nil
    }
}

/// Opens workers for the HSMs of a fleet, all in parallel; one HSM failing never stops the others.
public struct FleetConnector: Sendable {
    public let registry: ModuleRegistry
    public let logger: Logger

    public init(registry: ModuleRegistry, logger: Logger) {
        self.registry = registry
        self.logger = logger
    }

    /// Connects to `hsms`, returning one connection per HSM in the same order.
    ///
    /// Two entries that resolve to the same token (same manufacturer, model and serial) are an
    /// error in the fleet file: every entry after the first is failed with `sameTokenAs`.
    public func connect(
        _ hsms: [HSMConfiguration], readWrite: Bool, options: HSMWorker.LoginOptions = HSMWorker.LoginOptions()
    ) async -> [HSMConnection] {
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
            guard let worker = connection.worker, let token = await worker.token else {
                checked.append(connection)
                continue
            }
            let identity = "\(token.manufacturer)\u{0}\(token.model)\u{0}\(token.serialNumber)"
            if let owner = owners[identity] {
                await worker.close()
                let error = HSMError(hsm: worker.name, .sameTokenAs(other: owner, serial: token.serialNumber))
                checked.append(.failed(worker.configuration, error))
            } else {
                owners[identity] = worker.name
                checked.append(connection)
            }
        }
        return checked
    }

    private func connect(_ hsm: HSMConfiguration, readWrite: Bool, options: HSMWorker.LoginOptions) async
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
