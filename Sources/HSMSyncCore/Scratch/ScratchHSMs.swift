import Foundation
public import PKCS11

#if canImport(Glibc)
    import Glibc
#endif

/// Throwaway SoftHSM2 tokens, for ceremony rehearsals and restore drills.
///
/// SoftHSM2 reads `SOFTHSM2_CONF` once per process, and this process may already have the fleet's
/// own SoftHSM2 loaded; so the scratch tokens live in a private directory served by a
/// `p11-kit server` child per token, each with its own configuration, and are reached through
/// `p11-kit-client.so` like any remote HSM. The rest of hsmsync (``FleetConnector``, ``HSMWorker``) needs no special
/// case, and the real fleet cannot be touched through them. PINs are random, never shown, and held
/// in 0600 files inside the private directory, which ``destroy()`` removes with the tokens.
public actor ScratchHSMs {
    /// One throwaway token, standing in for one HSM.
    public struct Request: Sendable, Hashable {
        public let name: String
        public let role: HSMRole
        public let site: String
        public let tokenLabel: String

        public init(name: String, role: HSMRole, site: String = "scratch", tokenLabel: String) {
            self.name = name
            self.role = role
            self.site = site
            self.tokenLabel = tokenLabel
        }
    }

    /// Debian's SoftHSM2 module.
    public static let defaultSoftHSMModule = "/usr/lib/softhsm/libsofthsm2.so"

    private let executor = ThreadExecutor(name: "hsmsync.scratch")
    public nonisolated var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }

    /// The scratch tokens as fleet HSMs, in request order.
    public nonisolated let hsms: [HSMConfiguration]
    /// The private directory (mode 0700) holding the tokens, PIN files and sockets.
    public nonisolated let directory: String
    private let servers: [P11KitServerProcess]
    private var destroyed = false

    private init(hsms: [HSMConfiguration], directory: String, servers: [P11KitServerProcess]) {
        self.hsms = hsms
        self.directory = directory
        self.servers = servers
    }

    /// Creates one initialised token per request (names must be distinct), each on a SoftHSM2 of its own.
    ///
    /// - Parameter registry: the registry the caller's ``FleetConnector`` uses, so later
    ///   connections reuse the client module instance set up here.
    public static func start(
        _ requests: [Request], registry: ModuleRegistry, softHSMModule: String = defaultSoftHSMModule
    ) async throws(ScratchError) -> ScratchHSMs {
        guard Set(requests.map(\.name)).count == requests.count else {
            throw .setupFailed("two scratch HSMs would have the same name")
        }
        guard FileManager.default.isExecutableFile(atPath: P11KitServerProcess.executable),
            FileManager.default.fileExists(atPath: softHSMModule)
        else {
            throw .setupFailed(
                "needs \(P11KitServerProcess.executable) and \(softHSMModule) (Debian: p11-kit, softhsm2)")
        }
        let directory = try makePrivateDirectory()
        var servers: [P11KitServerProcess] = []
        do {
            var hsms: [HSMConfiguration] = []
            for (index, request) in requests.enumerated() {
                let server = try startServer(in: directory + "/\(index)", softHSMModule: softHSMModule)
                servers.append(server)
                let module: PKCS11Module
                do {
                    module = try await registry.module(
                        path: P11KitServerProcess.clientModulePath, serverAddress: server.address)
                } catch {
                    throw ScratchError.setupFailed("cannot load \(P11KitServerProcess.clientModulePath): \(error)")
                }
                let pinPath = directory + "/\(index).pin"
                try initializeToken(label: request.tokenLabel, on: module, pinPath: pinPath)
                let uri: TokenURI
                do { uri = try TokenURI("pkcs11:token=" + percentEncoded(request.tokenLabel)) } catch {
                    throw ScratchError.setupFailed("token label \(request.tokenLabel): \(error)")
                }
                hsms.append(
                    HSMConfiguration(
                        name: request.name, role: request.role, site: request.site,
                        modulePath: P11KitServerProcess.clientModulePath, serverAddress: server.address, token: uri,
                        pin: .file(path: pinPath)))
            }
            return ScratchHSMs(hsms: hsms, directory: directory, servers: servers)
        } catch {
            for server in servers { server.kill() }
            try? FileManager.default.removeItem(atPath: directory)
            throw error as? ScratchError ?? .setupFailed("\(error)")
        }
    }

    /// A SoftHSM2 of its own in `directory`, served by its own `p11-kit server`. One per token:
    /// p11-kit's server lists the module's slots once, at start, so it would never show the free
    /// slot SoftHSM2 adds after each `C_InitToken` — and separate processes are closer to separate HSMs.
    private static func startServer(in directory: String, softHSMModule: String) throws(ScratchError)
        -> P11KitServerProcess
    {
        let configuration = try SoftHSMScratchConfiguration(directory: directory)
        return try P11KitServerProcess(
            provider: softHSMModule, environment: ["SOFTHSM2_CONF": configuration.path],
            socketPath: directory + ".socket")
    }

    /// Scratch tokens standing in for every HSM of `fleet`: same names, roles, sites and token
    /// labels (the label from the HSM's token URI, else its name).
    public static func mirroring(_ fleet: Fleet, registry: ModuleRegistry) async throws(ScratchError) -> ScratchHSMs {
        try await start(
            fleet.hsms.map { hsm in
                Request(name: hsm.name, role: hsm.role, site: hsm.site, tokenLabel: hsm.token.label ?? hsm.name)
            }, registry: registry)
    }

    /// `fleet` with its HSMs replaced by these scratch tokens (matched by name; HSMs without a
    /// scratch token are dropped) and its log replaced by `log`. Scope, transport label and every
    /// other setting stay as they are, so a rehearsal exercises the real policy.
    public nonisolated func fleet(replacing fleet: Fleet, log: LogSettings?) -> Fleet {
        var copy = fleet
        copy.hsms = fleet.hsms.compactMap { hsm in hsms.first { $0.name == hsm.name } }
        copy.log = log
        return copy
    }

    /// Stops the server and removes the tokens, PIN files and directory. Idempotent.
    public func destroy() {
        guard !destroyed else { return }
        destroyed = true
        for server in servers { server.kill() }
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// `C_InitToken` on the free slot with a random SO PIN, then `C_InitPIN` with a random user PIN
    /// written to `pinPath` (0600). SoftHSM2 offers a new free slot after each initialisation.
    private static func initializeToken(label: String, on module: PKCS11Module, pinPath: String)
        throws(ScratchError)
    {
        do {
            let free = try module.slots(withTokenPresent: true).first { slot in
                (try? module.tokenInfo(slot)).map { !$0.flags.contains(.tokenInitialized) } ?? false
            }
            guard let free else { throw ScratchError.setupFailed("SoftHSM2 offers no free slot") }
            let soPIN = randomPINText()
            let userPIN = randomPINText()
            try writePrivateFile(userPIN, to: pinPath)
            try module.initToken(free, soPIN: PIN(SecretBytes(copying: soPIN)), label: label)
            let session = try module.openSession(free, readWrite: true)
            try session.login(.securityOfficer, pin: PIN(SecretBytes(copying: soPIN)))
            try session.initPIN(PIN(SecretBytes(copying: userPIN)))
            try session.logout()
        } catch let error as ScratchError {
            throw error
        } catch {
            throw .setupFailed("cannot initialise scratch token \(label): \(error)")
        }
    }

    /// RFC 7512 path-attribute encoding: every byte but unreserved characters as `%XX`.
    private static func percentEncoded(_ text: String) -> String {
        let unreserved = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~".utf8)
        return text.utf8.map { unreserved.contains($0) ? String(UnicodeScalar($0)) : String(format: "%%%02X", $0) }
            .joined()
    }

    /// 32 hex digits from the system CSPRNG.
    private static func randomPINText() -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        let digits = Array("0123456789abcdef".utf8)
        return (0..<32).map { _ in digits[Int(generator.next() % 16)] }
    }

    private static func writePrivateFile(_ bytes: [UInt8], to path: String) throws(ScratchError) {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw .setupFailed("cannot create \(path): errno \(errno)") }
        defer { close(fd) }
        let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        guard written == bytes.count else { throw .setupFailed("cannot write \(path): errno \(errno)") }
    }

    private static func makePrivateDirectory() throws(ScratchError) -> String {
        var template = Array((NSTemporaryDirectory() + "/hsmsync-scratch-XXXXXX").utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw .setupFailed("cannot create a private directory in \(NSTemporaryDirectory()): errno \(errno)")
        }
        return String(cString: made)
    }
}

/// The `softhsm2.conf` of a scratch directory: file backend, its own token directory.
private struct SoftHSMScratchConfiguration {
    let path: String

    init(directory: String) throws(ScratchError) {
        path = directory + "/softhsm2.conf"
        do {
            try FileManager.default.createDirectory(
                atPath: directory + "/tokens", withIntermediateDirectories: true,
                attributes: [.posixPermissions: 0o700])
            // reset_on_fork: a forked child never inherits sessions or logins (SECURITY.md P21).
            try """
            directories.tokendir = \(directory)/tokens
            objectstore.backend = file
            log.level = ERROR
            slots.removable = false
            library.reset_on_fork = true

            """.write(toFile: path, atomically: true, encoding: .utf8)
        } catch {
            throw .setupFailed("cannot write \(path): \(error.localizedDescription)")
        }
    }
}
