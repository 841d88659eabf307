import Foundation
import HSMSyncCore
import Logging
import PKCS11

/// What every command shares at run time: the module registry, a connector and a logger.
struct Environment {
    let registry = ModuleRegistry()
    let logger: Logger

    init() {
        logger = Logger(label: "hsmsync")
    }

    var connector: FleetConnector {
        FleetConnector(registry: registry, logger: logger)
    }

    /// Logs to stderr at `HSMSYNC_LOG_LEVEL` (default `warning`). Called once, by `main`.
    static func bootstrapLogging() {
        let level =
            ProcessInfo.processInfo.environment["HSMSYNC_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .warning
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
    }
}
