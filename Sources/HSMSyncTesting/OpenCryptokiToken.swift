public import Foundation
public import PKCS11

/// One opencryptoki software token made by `Scripts/lib/with-opencryptoki`.
public struct OpenCryptokiToken: Sendable, Hashable {
    /// The label `pkcsconf -I` gave the token (`hsmsync-ock-0`, …).
    public let label: String
    /// A file (mode 0600) whose first line is the user PIN, usable as a fleet's `pin: file:`.
    public let pinFile: String
    /// The user PIN (a throwaway test value; 8 digits, as the software token takes 4 to 8).
    public let userPIN: String
    /// The security officer PIN.
    public let soPIN: String

    /// The token as a ``TestToken``, for `loggedInSession(_:)`. Every opencryptoki 3.8.1 software
    /// token has serial `123`, so tokens are told apart by label only.
    public var testToken: TestToken {
        TestToken(label: label, serialNumber: OpenCryptokiRig.serialNumber, userPIN: userPIN, soPIN: soPIN)
    }

    /// `pkcs11:token=<label>`.
    public var uri: String { "pkcs11:token=\(label)" }
}

/// The opencryptoki software tokens of this test run, as `Scripts/lib/with-opencryptoki` describes
/// them in the environment.
///
/// opencryptoki 3.8.1 has compiled-in paths, so its tokens exist only inside the private mount
/// namespace the wrapper runs the tests in (`Scripts/lib/with-opencryptoki Scripts/lib/test-pass
/// --filter VendorTokenTests`, which `Scripts/test` runs). Outside it ``isPresent`` is false and
/// tests that need opencryptoki are disabled.
///
/// On 3.8.1 the login state is shared by every software token of a process (a `C_Login` on one
/// logs in all of them; a `C_Logout` on one logs out all), so tests use opencryptoki one at a time:
/// ``withExclusiveUse(_:)``.
public struct OpenCryptokiRig: Sendable {
    /// The serial number every opencryptoki 3.8.1 software token reports.
    public static let serialNumber = "123"

    /// Whether the wrapper's environment is present (`HSMSYNC_TEST_OCK_MODULE` is set).
    public static var isPresent: Bool {
        !(ProcessInfo.processInfo.environment["HSMSYNC_TEST_OCK_MODULE"] ?? "").isEmpty
    }

    /// `libopencryptoki.so`.
    public let modulePath: String
    /// The tokens, in slot order.
    public let tokens: [OpenCryptokiToken]

    /// Reads the wrapper's environment: `HSMSYNC_TEST_OCK_MODULE`, `HSMSYNC_TEST_OCK_TOKENS`
    /// (`LABEL:PINFILE,…`) and `HSMSYNC_TEST_OCK_SO_PIN_FILE`.
    ///
    /// - Throws: ``FixtureError/setupFailed(_:)`` naming what is missing or malformed.
    public static func fromEnvironment(
        _ environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> OpenCryptokiRig {
        func variable(_ name: String) throws -> String {
            guard let value = environment[name], !value.isEmpty else {
                throw FixtureError.setupFailed(
                    "\(name) is not set: run the tests inside Scripts/lib/with-opencryptoki")
            }
            return value
        }
        let modulePath = try variable("HSMSYNC_TEST_OCK_MODULE")
        let soPIN = try readPIN(try variable("HSMSYNC_TEST_OCK_SO_PIN_FILE"))
        var tokens: [OpenCryptokiToken] = []
        for entry in try variable("HSMSYNC_TEST_OCK_TOKENS").split(separator: ",") {
            let parts = entry.split(separator: ":", maxSplits: 1).map(String.init)
            guard parts.count == 2, !parts[0].isEmpty else {
                throw FixtureError.setupFailed("HSMSYNC_TEST_OCK_TOKENS: \(entry) is not LABEL:PINFILE")
            }
            tokens.append(
                OpenCryptokiToken(label: parts[0], pinFile: parts[1], userPIN: try readPIN(parts[1]), soPIN: soPIN))
        }
        guard !tokens.isEmpty else { throw FixtureError.setupFailed("HSMSYNC_TEST_OCK_TOKENS names no token") }
        return OpenCryptokiRig(modulePath: modulePath, tokens: tokens)
    }

    /// The first line of a PIN file.
    private static func readPIN(_ path: String) throws -> String {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8),
            let pin = text.split(separator: "\n", omittingEmptySubsequences: false).first, !pin.isEmpty
        else {
            throw FixtureError.setupFailed("cannot read a PIN from \(path)")
        }
        return String(pin)
    }

    /// The registry opencryptoki is loaded through; it keeps the module for the whole process.
    public static let registry = ModuleRegistry()

    /// The module, loaded once (no initialisation arguments).
    public func module() async throws -> PKCS11Module {
        try await Self.registry.module(path: modulePath)
    }

    private static let exclusion = AsyncExclusion()

    /// Runs `body` with the rig and its module while no other test of this process uses
    /// opencryptoki (the software tokens share one login state per process). Waits its turn.
    ///
    /// - Throws: what ``fromEnvironment(_:)`` throws, then what `body` throws.
    public static func withExclusiveUse<Value>(
        _ body: (OpenCryptokiRig, PKCS11Module) async throws -> Value
    ) async throws -> Value {
        let rig = try fromEnvironment()
        let module = try await rig.module()
        await exclusion.acquire()
        do {
            let result = try await body(rig, module)
            await exclusion.release()
            return result
        } catch {
            await exclusion.release()
            throw error
        }
    }
}

/// A lock for async code: one holder at a time, the others wait their turn in order (without
/// blocking a thread).
actor AsyncExclusion {
    private var held = false
    private var waiting: [CheckedContinuation<Void, Never>] = []

    func acquire() async {
        if !held {
            held = true
            return
        }
        await withCheckedContinuation { waiting.append($0) }
    }

    func release() {
        if waiting.isEmpty {
            held = false
        } else {
            waiting.removeFirst().resume()
        }
    }
}
