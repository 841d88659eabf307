import Foundation
public import HSMSyncModel
import SignedLog

/// The outcome of scanning one HSM.
public enum HSMScan: Sendable {
    case scanned(HSMConfiguration, TokenInventory)
    case failed(HSMConfiguration, HSMError)

    public var configuration: HSMConfiguration {
        switch self {
        case .scanned(let configuration, _), .failed(let configuration, _): return configuration
        }
    }

    public var inventory: TokenInventory? {
        if case .scanned(_, let inventory) = self { return inventory }
        return nil
    }

    public var error: HSMError? {
        if case .failed(_, let error) = self { return error }
        return nil
    }
}

/// Takes the inventory of several HSMs at once: one worker (thread, session) per HSM, all scanning
/// in parallel; an HSM that fails, before or during its scan, is reported and never stops the others.
public struct InventoryScanner: Sendable {
    public let connector: any HSMConnector
    public let options: ConnectOptions

    public init(connector: any HSMConnector, options: ConnectOptions = ConnectOptions()) {
        self.connector = connector
        self.options = options
    }

    /// Scans `hsms` of `fleet`; results come back in the order of `hsms`.
    ///
    /// - Parameter events: receives each HSM's ``EngineEvent/scanProgress(hsm:objectsRead:objectsFound:)``
    ///   and its end, from the HSMs' threads.
    public func scan(_ hsms: [HSMConfiguration], of fleet: Fleet, events: EngineEvents = .ignored) async -> [HSMScan] {
        let connections = await connector.connect(hsms, readWrite: false, options: options)
        let scans = await Self.scan(connections, fleet: fleet, events: events)
        for connection in connections {
            await connection.endpoint?.close()
        }
        return scans
    }

    /// Scans open connections in parallel, in their order, leaving the workers open (reconcile
    /// copies through them after).
    static func scan(_ connections: [HSMConnection], fleet: Fleet, events: EngineEvents = .ignored) async -> [HSMScan] {
        await withTaskGroup(of: (Int, HSMScan).self) { group in
            for (index, connection) in connections.enumerated() {
                group.addTask {
                    (index, await Self.scan(connection, fleet: fleet, events: events))
                }
            }
            var results = [HSMScan?](repeating: nil, count: connections.count)
            for await (index, scan) in group {
                results[index] = scan
            }
            return results.map { $0! }
        }
    }

    /// One HSM's scan on an open connection (also used by ceremonies, which keep their workers).
    static func scan(_ connection: HSMConnection, fleet: Fleet, events: EngineEvents = .ignored) async -> HSMScan {
        let scan = await scanConnected(connection, fleet: fleet, events: events)
        switch scan {
        case .scanned(let configuration, let inventory):
            events.emit(.scanFinished(hsm: configuration.name, objects: inventory.objects.count))
        case .failed(let configuration, let error):
            events.emit(.scanFailed(hsm: configuration.name, reason: error.reason))
        }
        return scan
    }

    private static func scanConnected(_ connection: HSMConnection, fleet: Fleet, events: EngineEvents) async
        -> HSMScan
    {
        guard let endpoint = connection.endpoint else {
            return .failed(connection.configuration, connection.error!)
        }
        let configuration = endpoint.configuration
        let started = Date()
        do {
            let label = fleet.transport.label
            let scope = fleet.keys
            let name = configuration.name
            let result = try await endpoint.scan(transportLabel: label, scope: scope) { done, total in
                events.emit(.scanProgress(hsm: name, objectsRead: done, objectsFound: total))
            }
            guard let token = await endpoint.token() else {
                return .failed(configuration, HSMError(hsm: configuration.name, .notOpen))
            }
            // Probed once per endpoint; a token that cannot be probed is still inventoried.
            let capabilities = try? await endpoint.capabilities()
            return .scanned(
                configuration,
                TokenInventory(
                    hsm: configuration.name, role: configuration.role, site: configuration.site,
                    token: token.summary,
                    objects: result.objects, transport: result.transport, vanished: result.vanished,
                    scanSeconds: Date().timeIntervalSince(started), phases: result.phases,
                    capabilities: capabilities))
        } catch let error as DeviceError {
            return .failed(
                configuration, HSMError(hsm: configuration.name, .device(error, operation: "taking the inventory")))
        } catch let error as HSMError {
            return .failed(configuration, error)
        } catch {
            return .failed(configuration, HSMError(hsm: configuration.name, .notOpen))
        }
    }
}
