import Foundation
import HSMSyncCore
import HSMSyncModel
import Logging
import PKCS11Endpoint
import SignedLog

/// What every command shares at run time: the connector to the fleet's HSMs and a logger.
///
/// One per process, kept until `exit()`: the connector's modules are never torn down, so the process
/// exits without `C_Finalize`. Every session is closed (and the token logged out) before a command
/// returns; what `C_Finalize` would add is freeing memory the exit frees anyway — about 0.4 s for
/// SoftHSM2 with 42,000 objects loaded. Tests and long-running processes that own a connector still
/// finalise when they release it.
struct Environment: Sendable {
    static let shared = Environment()

    let logger: Logger
    let connector: FleetConnector

    private init() {
        logger = Logger(label: "hsmsync")
        connector = FleetConnector(logger: logger, pins: TerminalPINs())
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
