import Foundation
import Glibc
public import HSMSyncModel
public import PKCS11
import SecureMemory
import SignedLog

/// Throwaway SoftHSM2 tokens, for ceremony rehearsals and restore drills.
///
/// SoftHSM2 reads `SOFTHSM2_CONF` once, at `C_Initialize`, and this process may already have the
/// fleet's own SoftHSM2 loaded. Each scratch token therefore gets a private copy of the SoftHSM2
/// library (a distinct file is a distinct `dlopen` instance with its own state) and a
/// configuration of its own, which every load of that copy sees
/// (``PKCS11Module/setLoadEnvironment(_:forModuleAt:)``). Loaded in-process, the tokens offer every
/// mechanism SoftHSM2 has — p11-kit 0.24's remoting would filter AES key wrap, CMAC, ECDH and EdDSA —
/// and ``FleetConnector`` and ``HSMWorker`` use them like any HSM. The real fleet cannot be reached
/// through them. PINs are random, never shown, and held in 0600 files in the private directory,
/// which ``destroy()`` removes with the tokens.
public actor ScratchHSMs: ScratchTokenSet {
    /// One throwaway token, standing in for one HSM.
    public typealias Request = ScratchTokenRequest

    /// Debian's SoftHSM2 module.
    public static let defaultSoftHSMModule = "/usr/lib/softhsm/libsofthsm2.so"

    private let executor = ThreadExecutor(name: "hsmsync.scratch")
    public nonisolated var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }

    /// The scratch tokens as fleet HSMs, in request order.
    public nonisolated let hsms: [HSMConfiguration]
    /// The private directory (mode 0700) holding the tokens, PIN files and library copies.
    public nonisolated let directory: String
    private var destroyed = false

    private init(hsms: [HSMConfiguration], directory: String) {
        self.hsms = hsms
        self.directory = directory
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
        guard FileManager.default.fileExists(atPath: softHSMModule) else {
            throw .setupFailed("needs SoftHSM2's module \(softHSMModule) (Debian package softhsm2)")
        }
        let directory = try makePrivateDirectory()
        do {
            var hsms: [HSMConfiguration] = []
            for (index, request) in requests.enumerated() {
                let modulePath = try installLibrary(softHSMModule, in: directory + "/\(index)")
                let module: PKCS11Module
                do {
                    module = try await registry.module(path: modulePath)
                } catch {
                    throw ScratchError.setupFailed("cannot load the scratch copy of \(softHSMModule): \(error)")
                }
                let pinPath = directory + "/\(index).pin"
                try initializeToken(label: request.tokenLabel, on: module, pinPath: pinPath)
                let uri = TokenSelector.label(request.tokenLabel)
                hsms.append(
                    HSMConfiguration(
                        name: request.name, role: request.role, site: request.site, modulePath: modulePath,
                        serverAddress: nil, token: uri, pin: .file(path: pinPath)))
            }
            return ScratchHSMs(hsms: hsms, directory: directory)
        } catch {
            try? FileManager.default.removeItem(atPath: directory)
            throw error as? ScratchError ?? .setupFailed("\(error)")
        }
    }

    /// A private SoftHSM2 in `directory`: a copy of the library, and the configuration every load
    /// of that copy reads.
    private static func installLibrary(_ softHSMModule: String, in directory: String) throws(ScratchError) -> String {
        let configuration = try SoftHSMScratchConfiguration(directory: directory)
        let copy = directory + "/libsofthsm2-scratch.so"
        do {
            // The library itself, not a (often relative) symbolic link to it.
            let library = URL(fileURLWithPath: softHSMModule).resolvingSymlinksInPath().path
            try FileManager.default.copyItem(atPath: library, toPath: copy)
        } catch {
            throw .setupFailed("cannot copy \(softHSMModule) to \(copy): \(error.localizedDescription)")
        }
        PKCS11Module.setLoadEnvironment(["SOFTHSM2_CONF": configuration.path], forModuleAt: copy)
        return copy
    }

    /// Scratch tokens standing in for every HSM of `fleet`: same names, roles, sites and token
    /// labels (the label from the HSM's token URI, else its name).
    public static func mirroring(_ fleet: Fleet, registry: ModuleRegistry) async throws(ScratchError) -> ScratchHSMs {
        try await start(
            fleet.hsms.map { hsm in
                Request(name: hsm.name, role: hsm.role, site: hsm.site, tokenLabel: hsm.token.label ?? hsm.name)
            }, registry: registry)
    }

    /// ``mirroring(_:registry:)`` with the modules `connector` loads.
    public static func mirroring(_ fleet: Fleet, connector: FleetConnector) async throws(ScratchError) -> ScratchHSMs {
        try await mirroring(fleet, registry: connector.registry)
    }

    /// ``start(_:registry:softHSMModule:)`` with the modules `connector` loads.
    public static func start(_ requests: [Request], connector: FleetConnector) async throws(ScratchError)
        -> ScratchHSMs
    {
        try await start(requests, registry: connector.registry)
    }

    /// `fleet` with its HSMs replaced by these scratch tokens (matched by name; HSMs without a
    /// scratch token are dropped) and its log replaced by `log`. Scope, transport label and every
    /// other setting stay as they are, so a rehearsal exercises the real policy.
    public nonisolated func fleet(replacing fleet: Fleet, log: LogSettings?) -> Fleet {
        var copy = fleet
        copy.hsms = fleet.hsms.compactMap { hsm in hsms.first { $0.name == hsm.name } }
        copy.log = log
        // A rehearsal's reconcile journal and lock must not be the real fleet's.
        copy.stateDirectory = directory + "/state"
        // Bundles a rehearsal makes are signed by (and trusted as) the rehearsal's own log key:
        // never by the real backup signing key, which an HSM-held one could not even reach.
        copy.backup = BackupSettings(keyLabel: fleet.backup.keyLabel)
        return copy
    }

    /// Removes the tokens, PIN files and library copies. Idempotent. The loaded copies stay mapped
    /// until the process exits (finalising a second SoftHSM2 instance beside the first is not
    /// something SoftHSM2 promises to survive); with their token files gone they hold nothing.
    public func destroy() {
        guard !destroyed else { return }
        destroyed = true
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
        let temporary = URL(fileURLWithPath: NSTemporaryDirectory(), isDirectory: true)
        var template = Array(temporary.appendingPathComponent("hsmsync-scratch-XXXXXX").path.utf8CString)
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

/// SoftHSM2 throwaway tokens (``ScratchHSMs``) loaded through a connector's modules.
public struct SoftHSMScratchTokens: ScratchTokens {
    public let connector: FleetConnector

    public init(connector: FleetConnector) {
        self.connector = connector
    }

    public func start(_ requests: [ScratchTokenRequest]) async throws -> any ScratchTokenSet {
        try await ScratchHSMs.start(requests, connector: connector)
    }
}
