import Foundation
import Glibc

/// A real PostgreSQL server (Debian's `postgresql` package) in a temporary directory on loopback,
/// started once per test process and stopped with it.
///
/// The server runs under a small shell that waits on a pipe from this process: when the test
/// process ends, however it ends, the pipe closes, the shell stops the server by its pid and
/// removes the directory. So no server outlives the tests, and none is needed before them. As
/// root (CI) the server runs as the `postgres` user, which `initdb` requires.
///
/// Clients authenticate as `hsmsync` with a random password (SCRAM-SHA-256, the only method the
/// server accepts over TCP), from ``passwordFile`` (mode 0600). The server also speaks TLS, with a
/// self-signed certificate for `localhost` and `127.0.0.1` in ``certificatePath``.
public actor PostgreSQLServer {
    /// The server most tests share (each with a database of its own).
    public static let shared = PostgreSQLServer()

    /// A server of its own, for a test that stops and starts it.
    public init() {}

    /// What a test needs to reach the server.
    public struct Endpoint: Sendable {
        public let host = "127.0.0.1"
        public let port: Int
        public let user = "hsmsync"
        /// The password, first line of a mode-0600 file (as `databasePassword: file:` reads it).
        public let passwordFile: String
        /// The server's self-signed certificate (PEM), a root for `sslmode=verify-full`.
        public let certificatePath: String
        /// The server's log, for failure messages.
        public let logPath: String

        /// `postgres://hsmsync@127.0.0.1:PORT/DATABASE`, with `query` appended.
        public func url(database: String, query: String = "") -> String {
            "postgres://\(user)@\(host):\(port)/\(database)\(query)"
        }
    }

    typealias Running = (endpoint: Endpoint, supervisor: Process, lifeline: Pipe, directory: String)
    /// The one start, shared by every caller: the actor is re-entered while it awaits.
    private var starting: Task<Running, any Error>?
    private var databaseCount = 0

    /// Starts the server on first use (every caller gets the same server).
    public func endpoint() async throws -> Endpoint {
        if starting == nil {
            starting = Task { try await Self.startWithRetries() }
        }
        return try await starting!.value.endpoint
    }

    private static func startWithRetries() async throws -> Running {
        var lastError: (any Error)?
        // A free port is picked by binding port 0; another process can take it before the server
        // binds it, so a bind failure picks again.
        for _ in 0..<3 {
            do {
                return try await start()
            } catch PostgreSQLServerError.portTaken {
                continue
            } catch {
                lastError = error
                break
            }
        }
        throw lastError ?? PostgreSQLServerError.failed("no free port after three tries")
    }

    /// A new, empty database on the server, with a unique name.
    public func makeDatabase() async throws -> String {
        let endpoint = try await endpoint()
        databaseCount += 1
        let name = "hsmsync_test_\(ProcessInfo.processInfo.processIdentifier)_\(databaseCount)"
        try psql(endpoint, database: "postgres", "CREATE DATABASE \(name)")
        return name
    }

    /// Runs SQL as the test user (`psql`, the password in its environment, never in argv); returns
    /// what psql printed (unaligned, tuples only).
    @discardableResult
    public func psql(_ endpoint: Endpoint, database: String, _ sql: String) throws -> String {
        let password = try String(contentsOfFile: endpoint.passwordFile, encoding: .utf8)
            .trimmingCharacters(in: .newlines)
        let result = try Self.run(
            "/usr/bin/psql",
            [
                "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", endpoint.host, "-p", "\(endpoint.port)",
                "-U", endpoint.user, "-d", database, "-c", sql,
            ], environment: ["PGPASSWORD": password, "PGSSLMODE": "disable"])
        return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    private static func start() async throws -> Running {
        let binaries = try binaries()
        let directory = NSTemporaryDirectory() + "hsmsync-postgres-\(UUID().uuidString.prefix(8))"
        let asRoot = getuid() == 0
        try FileManager.default.createDirectory(
            atPath: directory, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
        let password = (0..<24).map { _ in "abcdefghijkmnopqrstuvwxyz23456789".randomElement()! }
        // In the server's directory, so that it goes with it (the owner changes; the mode stays 0600).
        let passwordFile = directory + "/password"
        try Self.write(String(password) + "\n", to: passwordFile)
        try Self.write(String(password) + "\n", to: directory + "/pwfile")
        try Self.makeCertificate(in: directory)
        if asRoot { try Self.run("/bin/chown", ["-R", "postgres:postgres", directory]) }
        let port = try Self.freePort()

        let supervisor = Process()
        supervisor.executableURL = URL(fileURLWithPath: "/bin/bash")
        supervisor.arguments = [
            "-c", Self.supervisorScript, "supervisor", directory, "\(port)", binaries, asRoot ? "1" : "0",
        ]
        let lifeline = Pipe()
        supervisor.standardInput = lifeline
        supervisor.standardOutput = FileHandle.nullDevice
        supervisor.standardError = FileHandle.nullDevice
        try supervisor.run()
        let endpoint = Endpoint(
            port: port, passwordFile: passwordFile, certificatePath: directory + "/server.crt",
            logPath: directory + "/server.log")
        // Ready when pg_isready says so: a condition, not a sleep (polled every 100 ms, 60 s at most).
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            if try Self.isReady(port: port) { return (endpoint, supervisor, lifeline, directory) }
            let log = (try? String(contentsOfFile: endpoint.logPath, encoding: .utf8)) ?? ""
            if !supervisor.isRunning || log.contains("could not bind") {
                try? lifeline.fileHandleForWriting.close()
                supervisor.waitUntilExit()
                if log.contains("could not bind") { throw PostgreSQLServerError.portTaken }
                let setup = (try? String(contentsOfFile: directory + "/initdb.log", encoding: .utf8)) ?? ""
                throw PostgreSQLServerError.failed("the server did not start:\n\(setup)\n\(log)")
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        try? lifeline.fileHandleForWriting.close()
        throw PostgreSQLServerError.failed("the server was not ready after 60 s")
    }

    /// A bash script (it closes descriptors above 9, which `sh` cannot name). Runs as root or as
    /// the test user; `$4` = 1 runs the server as `postgres`. Reads commands
    /// from its standard input: `stop` (fast shutdown, by the postmaster's pid), `start`; at the
    /// end of input it stops the server and removes the directory.
    static let supervisorScript = #"""
        # Closes every inherited pipe but 0, 1 and 2 first: the server lives as long as the test
        # process, and a pipe another test's child writes to, inherited here, would never reach
        # end-of-file. Never a socket: Foundation's Process learns that this shell exited when its
        # socket closes, and then waits for it on the one thread that reaps every child of the test
        # process; closed early, that wait blocks while the server runs, and no child's exit is seen.
        for fd in /proc/$$/fd/*; do
            fd=${fd##*/}
            [ "$fd" -gt 2 ] || continue
            case $(readlink "/proc/$$/fd/$fd" 2>/dev/null) in pipe:*) eval "exec $fd>&-" ;; esac
        done
        dir=$1 port=$2 bin=$3 root=$4
        run() { if [ "$root" = 1 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
        start() {
            run "$bin/postgres" -D "$dir/data" -h 127.0.0.1 -p "$port" -k "$dir" -c fsync=off \
                -c ssl=on -c ssl_cert_file="$dir/server.crt" -c ssl_key_file="$dir/server.key" \
                >>"$dir/server.log" 2>&1 &
            child=$!
        }
        stop() {
            pid=$(head -n 1 "$dir/data/postmaster.pid" 2>/dev/null)
            [ -n "$pid" ] && kill -INT "$pid" 2>/dev/null
            wait "$child"
        }
        run "$bin/initdb" -D "$dir/data" -U hsmsync --auth=scram-sha-256 --pwfile="$dir/pwfile" -E UTF8 \
            >"$dir/initdb.log" 2>&1 || exit 1
        rm -f "$dir/pwfile"
        start
        while read -r command; do
            case $command in
                stop) stop ;;
                start) start ;;
            esac
        done
        stop
        rm -rf "$dir"
        """#

    /// Stops the server (fast shutdown: sessions are ended) and returns once it no longer answers.
    /// Only on a server of one's own, never on ``shared``.
    public func stop() async throws {
        let running = try await started()
        try running.lifeline.fileHandleForWriting.write(contentsOf: Data("stop\n".utf8))
        try await Self.waitFor("the server to stop", logPath: running.endpoint.logPath) {
            !FileManager.default.fileExists(atPath: running.directory + "/data/postmaster.pid")
        }
    }

    /// Starts a server ``stop()`` stopped, on the same port, and returns once it answers.
    public func start() async throws {
        let running = try await started()
        try running.lifeline.fileHandleForWriting.write(contentsOf: Data("start\n".utf8))
        try await Self.waitFor("the server to start again", logPath: running.endpoint.logPath) {
            try Self.isReady(port: running.endpoint.port)
        }
    }

    func started() async throws -> Running {
        _ = try await endpoint()
        return try await starting!.value
    }

    /// Polls `condition` every 100 ms for 60 s at most; the error holds the server's log.
    private static func waitFor(_ what: String, logPath: String, _ condition: () throws -> Bool) async throws {
        let deadline = Date().addingTimeInterval(60)
        while try !condition() {
            guard Date() < deadline else {
                let log = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
                throw PostgreSQLServerError.failed("timed out waiting for \(what); the server logged:\n\(log)")
            }
            try await Task.sleep(for: .milliseconds(100))
        }
    }
}

/// Why the test server could not be used.
public enum PostgreSQLServerError: Error, CustomStringConvertible {
    case portTaken
    case failed(String)

    public var description: String {
        switch self {
        case .portTaken: "the port picked for PostgreSQL was taken"
        case .failed(let reason): "PostgreSQL test server: \(reason)"
        }
    }
}
