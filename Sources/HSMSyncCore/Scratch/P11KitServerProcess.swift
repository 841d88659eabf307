import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A `p11-kit server` child process exporting the tokens of one PKCS#11 module on a Unix socket.
///
/// Reached through `p11-kit-client.so` with the socket's ``address`` as `P11_KIT_SERVER_ADDRESS`,
/// the module runs in another process with its own environment — which is how hsmsync gets
/// SoftHSM2 tokens that share nothing with a SoftHSM2 this process may already have loaded.
public final class P11KitServerProcess: @unchecked Sendable {
    // Invariant: `process` is only signalled or waited on with `lock` held.
    private let lock = NSLock()
    private let process: Process
    /// The value for `P11_KIT_SERVER_ADDRESS` (and a fleet HSM's `server:`).
    public let address: String
    /// The socket path.
    public let socketPath: String

    /// The `p11-kit` executable from Debian's p11-kit package.
    public static let executable = "/usr/bin/p11-kit"

    /// p11-kit's client module, from Debian's p11-kit-modules package.
    public static var clientModulePath: String {
        let candidates = [
            "/usr/lib/x86_64-linux-gnu/pkcs11/p11-kit-client.so", "/usr/lib/aarch64-linux-gnu/pkcs11/p11-kit-client.so",
            "/usr/lib/pkcs11/p11-kit-client.so",
        ]
        return candidates.first(where: FileManager.default.fileExists(atPath:)) ?? candidates[0]
    }

    /// Starts the server and waits (up to `timeout`) for its socket.
    ///
    /// - Parameters:
    ///   - provider: the module to export.
    ///   - tokens: a PKCS#11 URI filtering the exported tokens (`pkcs11:` exports all).
    ///   - environment: added to this process's environment for the server (e.g. `SOFTHSM2_CONF`).
    public init(
        provider: String, tokens: String = "pkcs11:", environment: [String: String], socketPath: String,
        timeout seconds: Double = 10
    ) throws(ScratchError) {
        self.socketPath = socketPath
        address = "unix:path=\(socketPath)"
        process = Process()
        process.executableURL = URL(fileURLWithPath: Self.executable)
        process.arguments = ["server", "-f", "-n", socketPath, "--provider", provider, tokens]
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            throw .serverFailed("cannot start \(Self.executable): \(error.localizedDescription)")
        }
        let deadline = Date().addingTimeInterval(seconds)
        while !FileManager.default.fileExists(atPath: socketPath) {
            guard Date() < deadline, process.isRunning else {
                kill()
                throw .serverFailed("p11-kit server did not create its socket \(socketPath)")
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
            // The server forks a p11-kit-remote child per connection; they would outlive it.
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
        unlink(socketPath)
    }
}
