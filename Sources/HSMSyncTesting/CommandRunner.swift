public import Foundation

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
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment
            .merging(["HSMSYNC_LOG_HEADS_DIR": logHeadsDirectory]) { _, new in new }
            .merging(environment) { _, new in new }
        if let directory {
            process.currentDirectoryURL = directory
        }
        let outPipe = Pipe()
        let errPipe = Pipe()
        let inPipe = Pipe()
        process.standardOutput = outPipe
        process.standardError = errPipe
        process.standardInput = inPipe
        try process.run()
        if let input {
            inPipe.fileHandleForWriting.write(Data(input.utf8))
        }
        try? inPipe.fileHandleForWriting.close()
        // Drain both pipes concurrently so a chatty child never blocks on a full pipe.
        let errData = LockedData()
        let drained = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            errData.set(errPipe.fileHandleForReading.readDataToEndOfFile())
            drained.signal()
        }
        let outData = outPipe.fileHandleForReading.readDataToEndOfFile()
        drained.wait()
        process.waitUntilExit()
        return ProcessResult(
            status: process.terminationStatus,
            stdout: String(decoding: outData, as: UTF8.self),
            stderr: String(decoding: errData.get(), as: UTF8.self),
            wasSignalled: process.terminationReason == .uncaughtSignal)
    }
}

private final class LockedData: @unchecked Sendable {
    // Invariant: `data` is only touched with `lock` held.
    private let lock = NSLock()
    private var data = Data()
    func set(_ value: Data) { lock.withLock { data = value } }
    func get() -> Data { lock.withLock { data } }
}
