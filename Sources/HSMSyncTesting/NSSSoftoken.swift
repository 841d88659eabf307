public import Foundation
import Glibc
public import PKCS11

/// One NSS softoken token: a `sql:` database directory (`cert9.db`, `key4.db`) protected by a PIN.
public struct NSSToken: Sendable, Hashable {
    /// The token label, set with `tokenDescription` in the initialisation arguments (at most 32 bytes).
    public let label: String
    /// The database directory (absolute; never contains a single quote).
    public let directory: String
    /// A file (mode 0600) whose first line is the user PIN: for `certutil -f` and a fleet's `pin: file:`.
    public let pinFile: String
    /// The user PIN, the database password (a throwaway test value).
    public let userPIN: String

    /// The token as a ``TestToken``, for `loggedInSession(_:)`. Every NSS token has serial
    /// `0000000000000000`, so tokens are told apart by label only.
    public var testToken: TestToken {
        TestToken(label: label, serialNumber: NSSConfiguration.serialNumber, userPIN: userPIN, soPIN: "")
    }

    /// `pkcs11:token=<label>`.
    public var uri: String { "pkcs11:token=\(label)" }
}

/// NSS softoken's module, initialisation arguments, and databases made with `certutil`.
public enum NSSConfiguration {
    /// The serial number NSS softoken 3.87 reports for every token.
    public static let serialNumber = "0000000000000000"

    /// Where distributions put `libsoftokn3.so` (Debian's `libnss3` ships it in the multiarch directory).
    static let moduleCandidates = [
        "/usr/lib/x86_64-linux-gnu/libsoftokn3.so", "/usr/lib/aarch64-linux-gnu/libsoftokn3.so",
        "/usr/lib64/libsoftokn3.so", "/usr/lib/libsoftokn3.so",
    ]

    /// NSS softoken: `$HSMSYNC_TEST_NSS_MODULE`, else the first of Debian's multiarch directories
    /// (and other distributions' library directories) that holds `libsoftokn3.so`.
    public static var modulePath: String {
        if let path = ProcessInfo.processInfo.environment["HSMSYNC_TEST_NSS_MODULE"], !path.isEmpty {
            return path
        }
        if let found = moduleCandidates.first(where: FileManager.default.fileExists(atPath:)) {
            return found
        }
        // Another architecture's multiarch directory.
        let multiarch = (try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib")) ?? []
        for directory in multiarch.sorted() where directory.hasSuffix("-linux-gnu") {
            let path = "/usr/lib/\(directory)/libsoftokn3.so"
            if FileManager.default.fileExists(atPath: path) { return path }
        }
        return moduleCandidates[0]
    }

    /// `certutil` from Debian's `libnss3-tools`.
    public static let certutilPath = "/usr/bin/certutil"

    /// The initialisation arguments (`pReserved`) that open one database as the default token,
    /// labelled "NSS Certificate DB" — the string `certutil` itself writes into `pkcs11.txt`.
    public static func initArguments(configDirectory: String) -> String {
        "configdir='sql:\(configDirectory)' certPrefix='' keyPrefix='' secmod='secmod.db' flags="
    }

    /// The initialisation arguments that open every database of `tokens` as a token of its own
    /// (slots 4, 5, …, labelled by `tokenDescription`), next to NSS's crypto-only slot 1.
    ///
    /// NSS initialises once per process, so this one string must name every NSS token the process
    /// uses: every NSS HSM of a fleet gets the same string. Each token has its own login state.
    public static func initArguments(for tokens: [NSSToken]) -> String {
        precondition(!tokens.isEmpty, "NSS initialisation arguments need at least one database")
        let slots = tokens.enumerated().map { index, token in
            "0x\(String(index + 4, radix: 16))=[configdir='sql:\(token.directory)' tokenDescription='\(token.label)']"
        }
        return "configdir='sql:\(tokens[0].directory)' certPrefix='' keyPrefix='' secmod='secmod.db' flags=noModDB "
            + "tokens=<0x1=[flags=noCertDB,noKeyDB] \(slots.joined(separator: " "))>"
    }

    /// Creates an empty database in `directory` (created, mode 0700) with `certutil -N`, its
    /// password `pin` passed in a file of mode 0600 (`-f`), never as an argument.
    ///
    /// - Parameter label: the token label the database gets through ``initArguments(for:)``.
    public static func createDatabase(in directory: URL, label: String, pin: String) throws -> NSSToken {
        guard label.utf8.count <= 32, !label.contains("'"), !directory.path.contains("'") else {
            throw FixtureError.setupFailed("NSS token label \(label) or directory \(directory.path) is unusable")
        }
        guard FileManager.default.isExecutableFile(atPath: certutilPath) else {
            throw FixtureError.setupFailed("\(certutilPath) is missing: apt-get install libnss3-tools")
        }
        try FileManager.default.createDirectory(
            at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let pinFile = directory.deletingLastPathComponent().appendingPathComponent("\(label).pin").path
        try writePrivateFile(pinFile, pin + "\n")
        let result = try CommandRunner.run(
            URL(fileURLWithPath: certutilPath), ["-N", "-d", "sql:\(directory.path)", "-f", pinFile])
        guard result.status == 0,
            FileManager.default.fileExists(atPath: directory.appendingPathComponent("key4.db").path)
        else {
            throw FixtureError.commandFailed("certutil -N -d sql:\(directory.path)", result.description)
        }
        return NSSToken(label: label, directory: directory.path, pinFile: pinFile, userPIN: pin)
    }

    /// Creates `path` with mode 0600 from the start (never readable by others, not even briefly).
    private static func writePrivateFile(_ path: String, _ text: String) throws {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw FixtureError.setupFailed("cannot create \(path): \(String(cString: strerror(errno)))")
        }
        defer { close(descriptor) }
        let bytes = Array(text.utf8)
        let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        guard written == bytes.count else { throw FixtureError.setupFailed("cannot write \(path)") }
    }
}

/// The NSS softoken instance of a test process, and its tokens.
///
/// NSS initialises once per process, from the string passed to `C_Initialize` as `pReserved`; the
/// binding refuses a second load with other arguments (``LoadError/conflictingInitArguments(path:)``).
/// So on first use this fixture creates ``tokenCount`` databases with `certutil -N` in a temporary
/// directory (removed when the process exits) and loads the module once, with NSS's `tokens=<…>`
/// syntax giving every database its own slot, label and login state
/// (``NSSConfiguration/initArguments(for:)``). `CKO_NSS_NEWSLOT` could add databases later, but NSS
/// cannot remove such a slot again (`CKO_NSS_DELSLOT` fails), so the set is fixed up front.
///
/// Tests lease a token for their duration with ``withToken(_:)``: login is per token per process,
/// so two tests on one token would log each other in and out. A leased token may hold objects of
/// earlier leases (tests use unique labels). Load NSS in a test process only after this fixture
/// (through ``registry``, or with exactly ``initArguments()``, which prepares it): a module instance
/// that initialised the library itself finalises it when released, under everyone else's sessions.
public actor NSSSoftoken {
    /// The one instance of this process.
    public static let shared = NSSSoftoken()
    /// How many NSS tokens the process has.
    public static let tokenCount = 3

    private let executor = ThreadExecutor(name: "hsmsync.test.nss")
    public nonisolated var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }

    /// The registry the fixture loads NSS through; it keeps the module for the whole process.
    public nonisolated let registry = ModuleRegistry()

    private struct Instance: Sendable {
        let tokens: [NSSToken]
        let initArguments: String
        let module: PKCS11Module
    }

    private var preparation: Task<Instance, any Error>?
    /// Whether ``free`` has been filled with the prepared tokens (once).
    private var poolFilled = false
    private var free: [NSSToken] = []
    private var waiting: [CheckedContinuation<NSSToken, Never>] = []

    private init() {}

    /// The module path (``NSSConfiguration/modulePath``).
    public nonisolated var modulePath: String { NSSConfiguration.modulePath }

    /// NSS softoken, initialised with ``initArguments()``.
    public func module() async throws -> PKCS11Module {
        try await instance().module
    }

    /// The initialisation arguments the module of this process was loaded with.
    public func initArguments() async throws -> String {
        try await instance().initArguments
    }

    /// Every token of the process (leased or not).
    public func tokens() async throws -> [NSSToken] {
        try await instance().tokens
    }

    /// Runs `body` with a token no other test of this process uses meanwhile, and the module.
    /// Waits for a token when all are leased.
    public nonisolated func withToken<Value>(
        _ body: (NSSToken, PKCS11Module) async throws -> Value
    ) async throws -> Value {
        let module = try await module()
        let token = try await lease()
        do {
            let result = try await body(token, module)
            await giveBack(token)
            return result
        } catch {
            await giveBack(token)
            throw error
        }
    }

    private func lease() async throws -> NSSToken {
        _ = try await instance()
        if !free.isEmpty {
            return free.removeFirst()
        }
        return await withCheckedContinuation { waiting.append($0) }
    }

    private func giveBack(_ token: NSSToken) {
        if waiting.isEmpty {
            free.append(token)
        } else {
            waiting.removeFirst().resume(returning: token)
        }
    }

    /// The prepared instance; the first call prepares it, later ones wait for that.
    private func instance() async throws -> Instance {
        let task = preparation ?? Task { try await self.prepare() }
        preparation = task
        let instance = try await task.value
        if !poolFilled {
            poolFilled = true
            free = instance.tokens
        }
        return instance
    }

    /// Creates the databases (on the fixture's thread: `certutil` runs as a child process and is
    /// waited for) and loads the module, once per process.
    private func prepare() async throws -> Instance {
        let base = URL(fileURLWithPath: NSTemporaryDirectory())
            .appendingPathComponent("hsmsync-nss-\(getpid())-\(UUID().uuidString.prefix(6))")
        try FileManager.default.createDirectory(
            at: base, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        FixtureCleanup.register(base)
        var tokens: [NSSToken] = []
        for index in 0..<Self.tokenCount {
            let label = "hsmsync-nss-\(index)"
            let pin = String(UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(12))
            tokens.append(
                try NSSConfiguration.createDatabase(in: base.appendingPathComponent(label), label: label, pin: pin))
        }
        let arguments = NSSConfiguration.initArguments(for: tokens)
        let module = try await registry.module(path: NSSConfiguration.modulePath, initArguments: arguments)
        return Instance(tokens: tokens, initArguments: arguments, module: module)
    }
}
