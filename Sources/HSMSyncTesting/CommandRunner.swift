public import Foundation
import PKCS11

/// What a finished child process left behind.
public struct ProcessResult: Sendable, CustomStringConvertible {
    public let status: Int32
    public let stdout: String
    public let stderr: String
    /// Whether the process was killed by a signal (then `status` is the signal number).
    public let wasSignalled: Bool

    public var description: String {
        "exit \(status)\(wasSignalled ? " (signal)" : "")\n--- stdout\n\(stdout)--- stderr\n\(stderr)"
    }
}

/// Runs the `hsmsync` binary built next to the test bundle, or any other program, as a child
/// process: end-to-end tests see exactly what an operator's script sees (exit code, stdout, stderr).
public enum CommandRunner {
    /// The directory holding the build products (`.build/debug`), found from the running test binary.
    public static var productsDirectory: URL {
        if let override = ProcessInfo.processInfo.environment["HSMSYNC_PRODUCTS_DIR"] {
            return URL(fileURLWithPath: override, isDirectory: true)
        }
        var url = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        while url.path != "/" {
            url.deleteLastPathComponent()
            if FileManager.default.isExecutableFile(atPath: url.appendingPathComponent("hsmsync").path) {
                return url
            }
        }
        return URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent(".build/debug")
    }

    /// The `hsmsync` executable under test.
    public static var hsmsync: URL { productsDirectory.appendingPathComponent("hsmsync") }

    /// This test process's own `HSMSYNC_LOG_HEADS_DIR`, given to every child: a test must never
    /// write the host's `/var/lib/hsmsync/log-heads`, nor see marks another run left there.
    public static let logHeadsDirectory: String = {
        let directory = URL(fileURLWithPath: NSTemporaryDirectory())
            .appendingPathComponent(
                "hsmsync-log-heads-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString.prefix(6))")
        try? FileManager.default.createDirectory(
            at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        FixtureCleanup.register(directory)
        return directory.path
    }()

    /// Runs `hsmsync` with `arguments`.
    ///
    /// - Parameters:
    ///   - environment: variables added to (or overriding) the test process's environment.
    ///   - input: bytes written to the child's stdin, which is then closed.
    ///   - directory: the working directory.
    public static func hsmsync(
        _ arguments: [String], environment: [String: String] = [:], input: String? = nil, directory: URL? = nil
    ) throws -> ProcessResult {
        try run(hsmsync, arguments, environment: environment, input: input, directory: directory)
    }

    /// Runs any executable.
    public static func run(
        _ executable: URL, _ arguments: [String], environment: [String: String] = [:], input: String? = nil,
        directory: URL? = nil
    ) throws -> ProcessResult {
        ProcessHardening.ignoreSIGPIPE()
        let merged = ProcessInfo.processInfo.environment
            .merging(["HSMSYNC_LOG_HEADS_DIR": logHeadsDirectory]) { _, new in new }
            .merging(environment) { _, new in new }
        let outcome = try ChildProcess.run(
            executable.path, arguments, environment: merged, directory: directory?.path,
            input: input.map { Data($0.utf8) }, timeout: commandTimeout)
        let notes = outcome.notes.map { "[CommandRunner: \($0)]\n" }.joined()
        return ProcessResult(
            status: outcome.status,
            stdout: String(decoding: outcome.stdout, as: UTF8.self),
            stderr: String(decoding: outcome.stderr, as: UTF8.self) + notes,
            wasSignalled: outcome.signalled)
    }

    /// The longest one command may run before it is killed and the test fails saying so: a hung
    /// child must end in a message, not in a test pass that never finishes.
    public static let commandTimeout: Duration = .seconds(1200)
}
