import Foundation

/// A `p11-kit server` in its own process, exporting one token of its own SoftHSM2 configuration:
/// an HSM "in another process", to be reached through `p11-kit-client.so` and killed at will.
public final class P11KitServer: @unchecked Sendable {
    // Invariant: `process` is only touched with `lock` held.
    private let lock = NSLock()
    private let process: Process
    /// The value for `P11_KIT_SERVER_ADDRESS` (and a fleet HSM's `server:`).
    public let address: String
    /// The socket path.
    public let socketPath: String

    /// Starts the server for the token labelled `tokenLabel` in `configuration`, and waits for
    /// its socket.
    public init(configuration: SoftHSMConfiguration, tokenLabel: String, socketPath: String) throws {
        self.socketPath = socketPath
        address = "unix:path=\(socketPath)"
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/p11-kit")
        process.arguments = [
            "server", "-f", "-n", socketPath, "--provider", SoftHSMConfiguration.modulePath,
            "pkcs11:token=\(tokenLabel)",
        ]
        process.environment = ProcessInfo.processInfo.environment.merging(configuration.environment) { _, new in new }
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(10)
        while !FileManager.default.fileExists(atPath: socketPath) {
            guard Date() < deadline, process.isRunning else {
                kill()
                throw FixtureError.setupFailed("p11-kit server for \(tokenLabel) did not create \(socketPath)")
            }
            Thread.sleep(forTimeInterval: 0.02)
        }
    }

    /// Whether the server process is still running.
    public var isRunning: Bool { lock.withLock { process.isRunning } }

    /// Kills the server (SIGKILL) and its per-connection `p11-kit-remote` children, and waits.
    public func kill() {
        lock.withLock {
            guard process.isRunning else { return }
            let pid = process.processIdentifier
            // The server forks a p11-kit-remote child per connection; kill those too, like a crash would.
            if let children = try? String(contentsOfFile: "/proc/\(pid)/task/\(pid)/children", encoding: .utf8) {
                for child in children.split(separator: " ").compactMap({ Int32($0) }) {
                    Foundation.kill(child, SIGKILL)
                }
            }
            Foundation.kill(pid, SIGKILL)
            process.waitUntilExit()
        }
    }

    deinit {
        kill()
        try? FileManager.default.removeItem(atPath: socketPath)
    }
}
