public import Foundation
import Synchronization

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// `hsmsync serve` running in the background for a test: started, waited on until it logs the
/// address it listens on (a condition, not a sleep), talked to over real HTTP, stopped by a signal.
public final class ServiceProcess: Sendable {
    private let process: Process
    private let output = ServiceOutput()
    /// `http://127.0.0.1:PORT` (or https).
    public let baseURL: URL

    /// Starts `hsmsync serve --fleet fleet --log-format json` and waits until it listens.
    /// - Throws: when it exits or does not listen within `timeout`, with everything it logged.
    public init(fleet: String, environment: [String: String] = [:], timeout: Duration = .seconds(60)) throws {
        process = Process()
        process.executableURL = CommandRunner.hsmsync
        process.arguments = ["serve", "--fleet", fleet, "--log-format", "json", "--log-level", "debug"]
        process.environment = ProcessInfo.processInfo.environment
            .merging(["HSMSYNC_LOG_HEADS_DIR": CommandRunner.logHeadsDirectory]) { _, new in new }
            .merging(SoftHSMFixture.shared.environment) { _, new in new }
            .merging(environment) { _, new in new }
        let errPipe = Pipe()
        process.standardError = errPipe
        process.standardOutput = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let output = output
        Thread.detachNewThread {
            var buffer = Data()
            let handle = errPipe.fileHandleForReading
            while true {
                let chunk = handle.availableData
                if chunk.isEmpty { break }
                buffer.append(chunk)
                while let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                    let line = String(decoding: buffer[buffer.startIndex..<newline], as: UTF8.self)
                    buffer.removeSubrange(buffer.startIndex...newline)
                    output.lines.withLock { $0.append(line) }
                }
            }
            output.finished.withLock { $0 = true }
        }
        let deadline = ContinuousClock.now + timeout
        var address: String?
        while address == nil {
            address = Self.listeningAddress(in: output.lines.withLock { $0 })
            if address != nil { break }
            guard process.isRunning, ContinuousClock.now < deadline else {
                if process.isRunning { kill(process.processIdentifier, SIGKILL) }
                Self.waitForExit(process)
                throw ServiceProcessError.didNotStart(log: output.lines.withLock { $0.joined(separator: "\n") })
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
        baseURL = URL(string: address!)!
    }

    private static func listeningAddress(in lines: [String]) -> String? {
        for line in lines {
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                object["message"] as? String == "listening", let address = object["address"] as? String
            else { continue }
            return address
        }
        return nil
    }

    /// Every line the service has logged so far.
    public var log: [String] { output.lines.withLock { $0 } }

    /// The logged events whose message is `message`, as JSON objects.
    public func events(_ message: String) -> [[String: Any]] {
        log.compactMap { line in
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                object["message"] as? String == message
            else { return nil }
            return object
        }
    }

    public var isRunning: Bool { process.isRunning }
    public var processIdentifier: Int32 { process.processIdentifier }

    /// Sends `signal` and waits for the exit (at most `timeout`).
    /// - Returns: the exit status, and how long the exit took; `nil` status if it did not exit in time (then it is killed).
    @discardableResult
    public func stop(signal: Int32 = SIGTERM, timeout: Duration = .seconds(30)) -> (status: Int32?, seconds: Double) {
        let started = ContinuousClock.now
        kill(process.processIdentifier, signal)
        let deadline = started + timeout
        while process.isRunning && ContinuousClock.now < deadline {
            Thread.sleep(forTimeInterval: 0.02)
        }
        let seconds = (ContinuousClock.now - started).seconds
        guard !process.isRunning else {
            kill(process.processIdentifier, SIGKILL)
            Self.waitForExit(process)
            return (nil, seconds)
        }
        // The reader thread has seen EOF once the process is gone and its pipe closed.
        let drainDeadline = ContinuousClock.now + .seconds(5)
        while !output.finished.withLock({ $0 }) && ContinuousClock.now < drainDeadline {
            Thread.sleep(forTimeInterval: 0.01)
        }
        return (process.terminationStatus, seconds)
    }

    deinit {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            Self.waitForExit(process)
        }
    }

    /// Polls instead of `waitUntilExit()`, which off the main thread can spin on a run loop that
    /// never sees the exit.
    private static func waitForExit(_ process: Process) {
        let deadline = Date().addingTimeInterval(10)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
    }

    /// One HTTP request; the status, headers and body.
    public func request(
        _ method: String, _ path: String, token: String? = nil, body: Data? = nil, headers: [String: String] = [:]
    ) async throws -> (status: Int, headers: [String: String], body: Data) {
        var request = URLRequest(url: URL(string: path, relativeTo: baseURL)!, timeoutInterval: 60)
        request.httpMethod = method
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        request.httpBody = body
        let (data, response) = try await URLSession.shared.data(for: request)
        let http = response as! HTTPURLResponse
        var fields: [String: String] = [:]
        for (name, value) in http.allHeaderFields {
            fields[String(describing: name).lowercased()] = String(describing: value)
        }
        return (http.statusCode, fields, data)
    }

    /// A GET's body as text (for failure messages).
    public func text(_ path: String, token: String?) async -> String {
        guard let (status, _, body) = try? await request("GET", path, token: token) else { return "(no answer)" }
        return "HTTP \(status): " + String(decoding: body.prefix(20_000), as: UTF8.self)
    }

    /// A request whose JSON body is an object.
    public func json(_ method: String, _ path: String, token: String? = nil) async throws -> (
        status: Int, object: [String: Any]
    ) {
        let (status, _, body) = try await request(method, path, token: token)
        let object = (try? JSONSerialization.jsonObject(with: body) as? [String: Any]) ?? [:]
        return (status, object)
    }

    /// Polls `condition` every 100 ms until it holds or `timeout` passes.
    /// - Parameter state: what to show when it times out (the document the condition looked at).
    public static func waitUntil(
        timeout: Duration, _ what: String, state: () async -> String = { "" }, _ condition: () async throws -> Bool
    ) async throws {
        let deadline = ContinuousClock.now + timeout
        while try await !condition() {
            guard ContinuousClock.now < deadline else {
                throw ServiceProcessError.timedOut(what + "; last seen:\n" + (await state()))
            }
            try await Task.sleep(for: .milliseconds(100))
        }
    }
}

/// What the service wrote on stderr, line by line, filled by a reader thread.
private final class ServiceOutput: Sendable {
    let lines = Mutex<[String]>([])
    let finished = Mutex<Bool>(false)
}

public enum ServiceProcessError: Error, CustomStringConvertible {
    case didNotStart(log: String)
    case timedOut(String)

    public var description: String {
        switch self {
        case .didNotStart(let log): "hsmsync serve did not start listening; it logged:\n\(log)"
        case .timedOut(let what): "timed out waiting for: \(what)"
        }
    }
}
