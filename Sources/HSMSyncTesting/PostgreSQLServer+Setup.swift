import Foundation
import Glibc

/// What starting the test server needs from the system: the binaries, a free port, a certificate.
extension PostgreSQLServer {
    static func binaries() throws -> String {
        let base = "/usr/lib/postgresql"
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: base)) ?? []
        guard let newest = versions.compactMap(Int.init).max(),
            FileManager.default.isExecutableFile(atPath: "\(base)/\(newest)/bin/postgres")
        else {
            throw PostgreSQLServerError.failed(
                "no PostgreSQL server under \(base) (install Debian's postgresql package; .ci/run does)")
        }
        return "\(base)/\(newest)/bin"
    }

    static func isReady(port: Int) throws -> Bool {
        try CommandRunner.run(
            URL(fileURLWithPath: "/usr/bin/pg_isready"), ["-q", "-h", "127.0.0.1", "-p", "\(port)"]
        ).status == 0
    }

    static func freePort() throws -> Int {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else { throw PostgreSQLServerError.failed("socket(): \(errno)") }
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { generic in
                bind(socket, generic, length) == 0 && getsockname(socket, generic, &length) == 0
            }
        }
        guard bound else { throw PostgreSQLServerError.failed("cannot bind a loopback port: \(errno)") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    static func makeCertificate(in directory: String) throws {
        try run(
            "/usr/bin/openssl",
            [
                "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2",
                "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
                "-keyout", directory + "/server.key", "-out", directory + "/server.crt",
            ])
        chmod(directory + "/server.key", 0o600)
    }

    static func write(_ text: String, to path: String) throws {
        guard
            FileManager.default.createFile(
                atPath: path, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600])
        else { throw PostgreSQLServerError.failed("cannot write \(path)") }
    }

    /// Runs `tool` (``CommandRunner/run(_:_:environment:input:directory:)``); a non-zero exit is
    /// an error that quotes what it printed.
    @discardableResult
    static func run(_ tool: String, _ arguments: [String], environment: [String: String] = [:]) throws
        -> ProcessResult
    {
        let result = try CommandRunner.run(URL(fileURLWithPath: tool), arguments, environment: environment)
        guard result.status == 0 else {
            throw PostgreSQLServerError.failed("\(tool) \(arguments.joined(separator: " ")): \(result)")
        }
        return result
    }
}
