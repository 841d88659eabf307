import Foundation
import HSMSyncCore

/// A `p11-kit server` in its own process, exporting one token of its own SoftHSM2 configuration:
/// an HSM "in another process", to be reached through `p11-kit-client.so` and killed at will.
public final class P11KitServer: Sendable {
    private let process: P11KitServerProcess
    /// The value for `P11_KIT_SERVER_ADDRESS` (and a fleet HSM's `server:`).
    public var address: String { process.address }
    /// The socket path.
    public var socketPath: String { process.socketPath }

    /// Starts the server for the token labelled `tokenLabel` in `configuration`, and waits for
    /// its socket.
    public init(configuration: SoftHSMConfiguration, tokenLabel: String, socketPath: String) throws {
        do {
            process = try P11KitServerProcess(
                provider: SoftHSMConfiguration.modulePath, tokens: "pkcs11:token=\(tokenLabel)",
                environment: configuration.environment, socketPath: socketPath)
        } catch {
            throw FixtureError.setupFailed("p11-kit server for \(tokenLabel): \(error)")
        }
    }

    /// Whether the server process is still running.
    public var isRunning: Bool { process.isRunning }

    /// Kills the server (SIGKILL) and its per-connection `p11-kit-remote` children, and waits.
    public func kill() { process.kill() }
}
