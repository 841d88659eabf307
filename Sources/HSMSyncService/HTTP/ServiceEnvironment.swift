import Foundation
public import HSMSyncModel
public import Logging
import Synchronization

/// Everything the HTTP handlers reach: the coordinator (HSM work), the store (history), the
/// tokens, the metrics, and what the fleet file says about the log.
public final class ServiceEnvironment: Sendable {
    public let coordinator: ServiceCoordinator
    public let store: StateStore
    public let metrics: ServiceMetrics
    public let instance: String
    let logger: Logger
    let limiter = AuthFailureLimiter()
    private let tokenFile: Mutex<APITokenFile>
    private let settings: Mutex<(metricsNeedToken: Bool, logDirectory: String?, fleetName: String)>
    let tiles = TileCache()

    public init(
        coordinator: ServiceCoordinator, store: StateStore, metrics: ServiceMetrics, tokens: APITokenFile,
        fleet: Fleet, logger: Logger
    ) {
        self.coordinator = coordinator
        self.store = store
        self.metrics = metrics
        self.instance = coordinator.instance
        self.logger = logger
        self.tokenFile = Mutex(tokens)
        self.settings = Mutex(
            (fleet.service?.metricsNeedToken ?? false, fleet.log?.directory, fleet.name))
    }

    /// After SIGHUP: the new fleet's settings and token file.
    public func reload(fleet: Fleet, tokens: APITokenFile) {
        tokenFile.withLock { $0 = tokens }
        settings.withLock { $0 = (fleet.service?.metricsNeedToken ?? false, fleet.log?.directory, fleet.name) }
    }

    var tokens: APITokenFile { tokenFile.withLock { $0 } }
    var metricsNeedToken: Bool { settings.withLock { $0.metricsNeedToken } }
    var logDirectory: String? { settings.withLock { $0.logDirectory } }
    var fleetName: String { settings.withLock { $0.fleetName } }
}
