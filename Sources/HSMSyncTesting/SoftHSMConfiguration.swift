public import Foundation

/// A SoftHSM2 token directory with its own `softhsm2.conf`.
///
/// Several tokens in one directory stand for several HSMs. `library.reset_on_fork = true` so a
/// forked child never inherits sessions or logins (SECURITY.md P21).
public struct SoftHSMConfiguration: Sendable {
    /// The directory holding `softhsm2.conf` and `tokens/`.
    public let directory: URL

    /// The configuration file, the value for `SOFTHSM2_CONF`.
    public var configurationPath: String { directory.appendingPathComponent("softhsm2.conf").path }
    /// The environment a child process needs to see these tokens.
    public var environment: [String: String] { ["SOFTHSM2_CONF": configurationPath] }

    /// The SoftHSM2 module: `$PKCS11_MODULE`, else Debian's path.
    public static var modulePath: String {
        ProcessInfo.processInfo.environment["PKCS11_MODULE"] ?? "/usr/lib/softhsm/libsofthsm2.so"
    }

    /// p11-kit's client module (`p11-kit-client.so`), from Debian's p11-kit package.
    public static var p11KitClientPath: String {
        let candidates = [
            "/usr/lib/x86_64-linux-gnu/pkcs11/p11-kit-client.so", "/usr/lib/aarch64-linux-gnu/pkcs11/p11-kit-client.so",
            "/usr/lib/pkcs11/p11-kit-client.so",
        ]
        return candidates.first(where: FileManager.default.fileExists(atPath:)) ?? candidates[0]
    }

    /// Writes a configuration and an empty token directory into `directory` (created if needed).
    public init(directory: URL) throws {
        self.directory = directory
        try FileManager.default.createDirectory(
            at: directory.appendingPathComponent("tokens"), withIntermediateDirectories: true,
            attributes: [.posixPermissions: 0o700])
        let configuration = """
            directories.tokendir = \(directory.appendingPathComponent("tokens").path)
            objectstore.backend = file
            log.level = ERROR
            slots.removable = false
            library.reset_on_fork = true

            """
        try configuration.write(
            to: directory.appendingPathComponent("softhsm2.conf"), atomically: true, encoding: .utf8)
    }

    /// Creates a token with `softhsm2-util --init-token --free` in a child process, so the calling
    /// process's own SoftHSM2 instance (bound to another configuration) is not involved.
    /// The PINs are throwaway test values.
    public func initializeToken(label: String, userPIN: String = "1234", soPIN: String = "12345678") throws {
        let result = try CommandRunner.run(
            URL(fileURLWithPath: "/usr/bin/softhsm2-util"),
            ["--init-token", "--free", "--label", label, "--pin", userPIN, "--so-pin", soPIN],
            environment: environment)
        guard result.status == 0 else {
            throw FixtureError.commandFailed("softhsm2-util --init-token --label \(label)", result.description)
        }
    }
}

/// A fixture could not set up what a test needs.
public enum FixtureError: Error, CustomStringConvertible {
    case commandFailed(String, String)
    case setupFailed(String)

    public var description: String {
        switch self {
        case .commandFailed(let command, let output): return "\(command) failed: \(output)"
        case .setupFailed(let reason): return reason
        }
    }
}
