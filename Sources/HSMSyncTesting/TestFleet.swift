import Foundation
import SecureMemory

/// A fleet file in a temporary directory, naming test tokens, with one PIN file (mode 0600) per HSM.
public struct TestFleet: Sendable {
    /// One HSM of the test fleet.
    public struct Member: Sendable {
        public var name: String
        public var role: String
        public var site: String
        public var token: String
        public var module: String
        public var server: String?
        public var pinSource: String?
        public var pin: String

        /// An HSM on a test token, with its PIN in a file.
        public init(_ name: String, role: String, token: TestToken, site: String = "site-a") {
            self.name = name
            self.role = role
            self.site = site
            self.token = "pkcs11:token=\(token.label)"
            self.module = SoftHSMConfiguration.modulePath
            self.server = nil
            self.pinSource = nil
            self.pin = token.userPIN
        }

        /// An HSM with any token URI and module (for bad-input tests).
        public init(_ name: String, role: String, tokenURI: String, module: String, pin: String = "1234") {
            self.name = name
            self.role = role
            self.site = "site-a"
            self.token = tokenURI
            self.module = module
            self.server = nil
            self.pinSource = nil
            self.pin = pin
        }
    }

    public let directory: TemporaryDirectory
    /// The fleet file.
    public let path: String

    /// Writes `fleet.yaml` (and PIN files) for `members`; `extra` is appended verbatim (keys:, log:, …).
    public init(name: String = "test-fleet", members: [Member], extra: String = "") throws {
        directory = try TemporaryDirectory(prefix: "fleet")
        path = directory.path("fleet.yaml")
        var yaml = "name: \(name)\nhsms:\n"
        for member in members {
            let pinFile = directory.path("\(member.name).pin")
            if member.pinSource == nil {
                guard
                    FileManager.default.createFile(
                        atPath: pinFile, contents: Data((member.pin + "\n").utf8),
                        attributes: [.posixPermissions: 0o600])
                else { throw FixtureError.setupFailed("cannot write \(pinFile)") }
            }
            yaml += "  - name: \(member.name)\n"
            yaml += "    role: \(member.role)\n"
            yaml += "    site: \(member.site)\n"
            yaml += "    module: \(member.module)\n"
            if let server = member.server { yaml += "    server: \"\(server)\"\n" }
            yaml += "    token: \"\(member.token)\"\n"
            yaml += "    pin: \(member.pinSource ?? "file:\(member.name).pin")\n"
        }
        yaml += extra
        try yaml.write(toFile: path, atomically: true, encoding: .utf8)
    }

    /// A `log:` section: the signed log `audit-log` beside the fleet file, signed with the file key `log.key`.
    public static let fileKeyLog = "log:\n  dir: audit-log\n  key: file:log.key\n"

    /// Creates the fleet's signed log with `origin` (`hsmsync log init --fleet`).
    public func initializeLog(origin: String) throws -> ProcessResult {
        try hsmsync(["log", "init", "--fleet", path, "--origin", origin])
    }

    /// Runs `hsmsync` with this process's SoftHSM2 configuration.
    public func hsmsync(_ arguments: [String], environment: [String: String] = [:]) throws -> ProcessResult {
        try CommandRunner.hsmsync(
            arguments, environment: SoftHSMFixture.shared.environment.merging(environment) { _, new in new })
    }
}
