import Foundation
import Glibc
public import PKCS11
public import SecureMemory

/// The SoftHSM2 instance of a test process, and throwaway tokens on it.
///
/// SoftHSM2 reads `SOFTHSM2_CONF` once, at `C_Initialize`, so a test process has exactly one
/// SoftHSM2 configuration: this fixture creates it in a temporary directory and sets the variable
/// **before** the module is first loaded, then makes a token per test with `C_InitToken` on the
/// free slot (SoftHSM2 2.6.1 offers a new free slot after each). Tokens carry unique labels, so
/// tests run in parallel without seeing each other. Child processes (the `hsmsync` binary) see the
/// same tokens through ``environment``.
public actor SoftHSMFixture {
    /// The one instance of this process.
    public static let shared = SoftHSMFixture()

    private let executor = ThreadExecutor(name: "hsmsync.test.softhsm")
    public nonisolated var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }

    /// The configuration every module load in this process uses.
    public nonisolated let configuration: SoftHSMConfiguration
    /// The registry the fixture loads its module through; tests may share it.
    public nonisolated let registry = ModuleRegistry()
    private var tokenCounter = 0

    private init() {
        let directory = URL(fileURLWithPath: NSTemporaryDirectory())
            .appendingPathComponent("hsmsync-softhsm-\(getpid())-\(UUID().uuidString.prefix(6))")
        do {
            configuration = try SoftHSMConfiguration(directory: directory)
        } catch {
            fatalError("cannot create the SoftHSM2 test directory \(directory.path): \(error)")
        }
        setenv("SOFTHSM2_CONF", configuration.configurationPath, 1)
        ProcessHardening.ignoreSIGPIPE()
        FixtureCleanup.register(directory)
    }

    /// The environment a child process needs to see this process's test tokens (and its head marks).
    public nonisolated var environment: [String: String] {
        configuration.environment.merging(["HSMSYNC_LOG_HEADS_DIR": CommandRunner.logHeadsDirectory]) { _, new in new }
    }

    /// The SoftHSM2 module, loaded and initialised once.
    public func module() async throws -> PKCS11Module {
        try await registry.module(path: SoftHSMConfiguration.modulePath)
    }

    /// Creates an initialised token with a user PIN on the free slot.
    ///
    /// - Parameter name: a hint that becomes part of the label (labels are at most 32 bytes).
    public func makeToken(_ name: String = "t", userPIN: String = "1234", soPIN: String = "12345678")
        async throws -> TestToken
    {
        let module = try await module()
        tokenCounter += 1
        let label = String("\(name)-\(getpid() % 100_000)-\(tokenCounter)".prefix(32))
        let slots = try module.slots(withTokenPresent: true)
        // Another test's token may be unreadable in this process for a moment, or for good: SoftHSM2
        // 2.6.1 marks a token invalid when one read of its files races a writer (a child hsmsync
        // process logging in) and never re-reads it. Such a slot is simply not the free one.
        guard
            let free = slots.first(where: { slot in
                (try? module.tokenInfo(slot)).map { !$0.flags.contains(.tokenInitialized) } ?? false
            })
        else {
            throw FixtureError.setupFailed("SoftHSM2 offers no free slot")
        }
        try module.initToken(free, soPIN: PIN(exposedForTesting: soPIN), label: label)
        do {
            let session = try module.openSession(free, readWrite: true)
            try session.login(.securityOfficer, pin: PIN(exposedForTesting: soPIN))
            try session.initPIN(PIN(exposedForTesting: userPIN))
            try session.logout()
        }
        guard let match = try module.tokens(matching: TokenURI("pkcs11:token=\(label)")).first else {
            throw FixtureError.setupFailed("token \(label) not found after C_InitToken")
        }
        return TestToken(label: label, serialNumber: match.token.serialNumber, userPIN: userPIN, soPIN: soPIN)
    }
}

/// A throwaway test token.
public struct TestToken: Sendable, Hashable {
    public let label: String
    public let serialNumber: String
    /// Throwaway test PINs (tests only ever hold PINs as plain text).
    public let userPIN: String
    public let soPIN: String

    public init(label: String, serialNumber: String = "", userPIN: String = "1234", soPIN: String = "12345678") {
        self.label = label
        self.serialNumber = serialNumber
        self.userPIN = userPIN
        self.soPIN = soPIN
    }

    /// `pkcs11:token=<label>`.
    public var uri: TokenURI { try! TokenURI("pkcs11:token=\(label)") }
    /// The user PIN as a ``PIN``.
    public var pin: PIN { PIN(exposedForTesting: userPIN) }
}

/// Removes fixture directories when the test process exits.
enum FixtureCleanup {
    private static let directories = LockedDirectories()

    static func register(_ directory: URL) {
        if directories.add(directory) {
            atexit {
                for directory in FixtureCleanup.directories.all() {
                    try? FileManager.default.removeItem(at: directory)
                }
            }
        }
    }
}

private final class LockedDirectories: @unchecked Sendable {
    // Invariant: `list` is only touched with `lock` held.
    private let lock = NSLock()
    private var list: [URL] = []
    /// Adds a directory; returns true for the first one (when the exit hook must be installed).
    func add(_ url: URL) -> Bool {
        lock.withLock {
            list.append(url); return list.count == 1
        }
    }
    func all() -> [URL] { lock.withLock { list } }
}
