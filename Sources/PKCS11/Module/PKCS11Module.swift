internal import CPKCS11
import Foundation
public import SecureMemory
import Synchronization

/// A loaded, initialised PKCS#11 module: one `dlopen` handle and one function list.
///
/// `init` loads the library, fetches its function list and runs `C_Initialize` with
/// `CKF_OS_LOCKING_OK` (SoftHSM2 disables its own locking otherwise); `deinit` runs `C_Finalize`
/// and `dlclose`. Sessions keep the module alive, so it cannot be finalised under them.
///
/// > Important: Load modules through a ``ModuleRegistry``: PKCS#11 allows one `C_Initialize` per
/// > function list per process, and p11-kit's client needs its server address set around
/// > `C_GetFunctionList`, which only the registry serialises.
public final class PKCS11Module: @unchecked Sendable {
    // Invariant: every stored property is immutable after init. The function list belongs to the
    // library and is only read; after C_Initialize with CKF_OS_LOCKING_OK the module serialises
    // its own state, so the functions may be called from any thread.
    /// The library path as configured.
    public let path: String
    /// The p11-kit server this module instance talks to, when it is p11-kit's client module.
    public let serverAddress: String?
    /// The string passed to `C_Initialize` as `pReserved` (NSS softoken's `configdir='sql:…'`).
    public let initArguments: String?
    private let library: UnsafeMutableRawPointer
    let functions: UnsafeMutablePointer<CK_FUNCTION_LIST>
    /// False when another component of this process had already initialised the library: then
    /// finalising it is theirs to do (finalising under their threads crashes SoftHSM2, #446).
    private let ownsInitialization: Bool
    /// Serialises slot and token discovery: SoftHSM2 2.6.1 may add a slot to its table while
    /// answering a `C_GetSlotList` size query (it always offers one free slot), so two workers
    /// must not interleave those calls. Discovery is rare; the lock costs nothing.
    private let discovery = Mutex(())

    /// Loads and initialises the module at `path`.
    ///
    /// - Parameters:
    ///   - path: the shared library.
    ///   - serverAddress: for p11-kit's client module, the `P11_KIT_SERVER_ADDRESS` of the server
    ///     this instance connects to. The variable is set only around `C_GetFunctionList`.
    /// - Throws: ``LoadError`` with the path and `dlerror()` text, or the failing PKCS#11 call.
    /// The process environment is global: every module load in the process (whichever registry
    /// asks) sets `P11_KIT_SERVER_ADDRESS` and runs `C_Initialize`, which may read the environment,
    /// under this one lock.
    private static let environmentLock = Mutex(())
    /// Variables set while a module path loads (``setLoadEnvironment(_:forModuleAt:)``).
    private static let loadEnvironments = Mutex<[String: [String: String]]>([:])

    /// Makes every later load of the module at `path` — by any registry —
    /// see `environment` during `C_GetFunctionList` and `C_Initialize`, whatever the process
    /// environment says. For a private copy of a library that reads its configuration from the
    /// environment at initialisation (SoftHSM2's `SOFTHSM2_CONF`), so it can never open another
    /// configuration's tokens.
    public static func setLoadEnvironment(_ environment: [String: String], forModuleAt path: String) {
        loadEnvironments.withLock { $0[path] = environment }
    }

    /// Initialisation arguments each module path was initialised with in this process: a library
    /// initialises once per process, so a second configuration would silently get the first one's.
    private static let initializedWith = Mutex<[String: String]>([:])

    init(path: String, serverAddress: String? = nil, initArguments: String? = nil) throws(LoadError) {
        // Before any module can open a socket: p11-kit's client writes with plain write(), and a
        // dead server would otherwise kill this process with SIGPIPE.
        ProcessHardening.ignoreSIGPIPE()
        let loaded = try Self.environmentLock.withLock { (_) throws(LoadError) in
            let key = path + "\u{0}" + (serverAddress ?? "")
            if let earlier = Self.initializedWith.withLock({ $0[key] }), earlier != (initArguments ?? "") {
                throw LoadError.conflictingInitArguments(path: path)
            }
            let loaded = try Self.load(path: path, serverAddress: serverAddress, initArguments: initArguments)
            Self.initializedWith.withLock { $0[key] = initArguments ?? "" }
            return loaded
        }
        self.path = path
        self.serverAddress = serverAddress
        self.initArguments = initArguments
        self.library = loaded.library
        self.functions = loaded.functions
        self.ownsInitialization = loaded.ownsInitialization
    }

    private static func load(path: String, serverAddress: String?, initArguments: String?) throws(LoadError) -> (
        library: UnsafeMutableRawPointer, functions: UnsafeMutablePointer<CK_FUNCTION_LIST>, ownsInitialization: Bool
    ) {
        var message = [CChar](repeating: 0, count: 1024)
        guard let library = CPKCS11_open(path, &message, message.count) else {
            throw .libraryNotLoadable(path: path, dlerror: cString(message))
        }
        guard let getFunctionList = CPKCS11_getFunctionListSymbol(library, &message, message.count) else {
            CPKCS11_close(library)
            throw .notAPKCS11Module(path: path, dlerror: cString(message))
        }

        // Set around C_GetFunctionList (p11-kit's client reads its server address there) and
        // C_Initialize (SoftHSM2 reads SOFTHSM2_CONF there), then put back as it was.
        var environment = loadEnvironments.withLock { $0[path] } ?? [:]
        if let serverAddress {
            environment["P11_KIT_SERVER_ADDRESS"] = serverAddress
        }
        let previous = environment.keys.map { ($0, ProcessInfo.processInfo.environment[$0]) }
        for (name, value) in environment { setenv(name, value, 1) }
        defer {
            for (name, value) in previous {
                if let value { setenv(name, value, 1) } else { unsetenv(name) }
            }
        }

        var list: UnsafeMutablePointer<CK_FUNCTION_LIST>?
        let rv = getFunctionList(&list)
        guard rv == CKR_OK, let list else {
            CPKCS11_close(library)
            throw .initializationFailed(
                path: path, error: PKCS11Error(code: ReturnCode(rawValue: UInt(rv)), function: .getFunctionList))
        }

        var arguments = CK_C_INITIALIZE_ARGS()
        arguments.flags = CK_FLAGS(CKF_OS_LOCKING_OK)
        // `pReserved` is a NUL-terminated string for the modules that read it (NSS softoken's
        // configuration); it lives until C_Initialize returns, which is all they need of it.
        let initialized = withOptionalCString(initArguments) { reserved in
            arguments.pReserved = reserved.map { UnsafeMutableRawPointer(mutating: $0) }
            return list.pointee.C_Initialize(&arguments)
        }
        guard initialized == CKR_OK || initialized == CKR_CRYPTOKI_ALREADY_INITIALIZED else {
            CPKCS11_close(library)
            throw .initializationFailed(
                path: path, error: PKCS11Error(code: ReturnCode(rawValue: UInt(initialized)), function: .initialize))
        }
        return (library, list, initialized == CKR_OK)
    }

    deinit {
        if ownsInitialization {
            _ = functions.pointee.C_Finalize(nil)
        }
        CPKCS11_close(library)
    }

    /// Calls `C_GetInfo`.
    public func info() throws(PKCS11Error) -> LibraryInfo {
        var raw = CK_INFO()
        try check(functions.pointee.C_GetInfo(&raw), .getInfo)
        return LibraryInfo(raw)
    }

    /// Calls `C_GetSlotList`.
    ///
    /// > Important: p11-kit's client answers zero slots and `CKR_OK` when its server is not
    /// > running. An empty list means "found nothing", never "holds nothing".
    public func slots(withTokenPresent tokenPresent: Bool = true) throws(PKCS11Error) -> [SlotID] {
        try discovery.withLock { (_) throws(PKCS11Error) in
            let present = tokenPresent ? CPKCS11_TRUE : CPKCS11_FALSE
            // The count can grow between the two calls (a token appears); retry on CKR_BUFFER_TOO_SMALL.
            while true {
                var count: CK_ULONG = 0
                try check(functions.pointee.C_GetSlotList(present, nil, &count), .getSlotList)
                var slots = [CK_SLOT_ID](repeating: 0, count: Int(count))
                let rv = functions.pointee.C_GetSlotList(present, &slots, &count)
                if rv == CKR_BUFFER_TOO_SMALL { continue }
                try check(rv, .getSlotList)
                return slots.prefix(Int(count)).map { SlotID(rawValue: UInt($0)) }
            }
        }
    }

    /// Calls `C_GetSlotInfo`.
    public func slotInfo(_ slot: SlotID) throws(PKCS11Error) -> SlotInfo {
        try discovery.withLock { (_) throws(PKCS11Error) in
            var raw = CK_SLOT_INFO()
            try check(functions.pointee.C_GetSlotInfo(CK_SLOT_ID(slot.rawValue), &raw), .getSlotInfo)
            return SlotInfo(raw)
        }
    }

    /// Calls `C_GetTokenInfo`.
    public func tokenInfo(_ slot: SlotID) throws(PKCS11Error) -> TokenInfo {
        try discovery.withLock { (_) throws(PKCS11Error) in
            var raw = CK_TOKEN_INFO()
            try check(functions.pointee.C_GetTokenInfo(CK_SLOT_ID(slot.rawValue), &raw), .getTokenInfo)
            return TokenInfo(raw)
        }
    }

    /// Calls `C_GetMechanismList`.
    public func mechanisms(_ slot: SlotID) throws(PKCS11Error) -> [MechanismType] {
        try discovery.withLock { (_) throws(PKCS11Error) in
            while true {
                var count: CK_ULONG = 0
                try check(
                    functions.pointee.C_GetMechanismList(CK_SLOT_ID(slot.rawValue), nil, &count), .getMechanismList)
                var list = [CK_MECHANISM_TYPE](repeating: 0, count: Int(count))
                let rv = functions.pointee.C_GetMechanismList(CK_SLOT_ID(slot.rawValue), &list, &count)
                if rv == CKR_BUFFER_TOO_SMALL { continue }
                try check(rv, .getMechanismList)
                return list.prefix(Int(count)).map { MechanismType(rawValue: UInt($0)) }
            }
        }
    }

    /// Calls `C_GetMechanismInfo`.
    public func mechanismInfo(_ mechanism: MechanismType, slot: SlotID) throws(PKCS11Error) -> MechanismInfo {
        try discovery.withLock { (_) throws(PKCS11Error) in
            var raw = CK_MECHANISM_INFO()
            try check(
                functions.pointee.C_GetMechanismInfo(
                    CK_SLOT_ID(slot.rawValue), CK_MECHANISM_TYPE(mechanism.rawValue), &raw),
                .getMechanismInfo)
            return MechanismInfo(raw)
        }
    }

    /// The slots whose token matches `uri`, with their token information.
    ///
    /// A slot whose token cannot be read is skipped, not fatal: SoftHSM2 answers `CKR_GENERAL_ERROR`
    /// for a token another process is initialising at that moment, and an unrelated token must not
    /// hide the one asked for. ``tokenLookup(matching:)`` also returns what was skipped.
    public func tokens(matching uri: TokenURI) throws(PKCS11Error) -> [(slot: SlotID, token: TokenInfo)] {
        try tokenLookup(matching: uri).matches
    }

    /// The slots whose token matches `uri`, and the errors of slots whose token could not be read.
    public func tokenLookup(matching uri: TokenURI) throws(PKCS11Error) -> TokenLookup {
        try tokenLookup { uri.matches($0) }
    }

    /// The slots whose initialised token satisfies `matches`, and the errors of slots whose token
    /// could not be read.
    public func tokenLookup(where matches: (TokenInfo) -> Bool) throws(PKCS11Error) -> TokenLookup {
        var lookup = TokenLookup()
        for slot in try slots(withTokenPresent: true) {
            let token: TokenInfo
            do {
                token = try tokenInfo(slot)
            } catch {
                lookup.unreadable.append((slot, error))
                continue
            }
            lookup.seen.append(token)
            if token.flags.contains(.tokenInitialized) && matches(token) {
                lookup.matches.append((slot, token))
            }
        }
        return lookup
    }

    /// Calls `C_OpenSession` (always `CKF_SERIAL_SESSION`).
    public func openSession(_ slot: SlotID, readWrite: Bool) throws(PKCS11Error) -> Session {
        var flags = CK_FLAGS(CKF_SERIAL_SESSION)
        if readWrite {
            flags |= CK_FLAGS(CKF_RW_SESSION)
        }
        var handle: CK_SESSION_HANDLE = 0
        try check(functions.pointee.C_OpenSession(CK_SLOT_ID(slot.rawValue), flags, nil, nil, &handle), .openSession)
        return Session(module: self, slot: slot, handle: handle)
    }

    /// Calls `C_InitToken`: erases the token in `slot` and gives it a label and SO PIN.
    ///
    /// > Warning: Destroys every object on that token. Test rigs and explicit ceremony steps only.
    ///
    /// Runs under the discovery lock: SoftHSM2 2.6.1 answers a concurrent `C_GetTokenInfo` with
    /// `CKR_GENERAL_ERROR` while it initialises a token (seen in parallel tests).
    public func initToken(_ slot: SlotID, soPIN: consuming PIN, label: String) throws(PKCS11Error) {
        var padded = [CK_UTF8CHAR](repeating: 0x20, count: 32)
        let utf8 = Array(label.utf8.prefix(32))
        padded.replaceSubrange(0..<utf8.count, with: utf8)
        // Under the discovery lock: a token being initialised answers C_GetTokenInfo with an error.
        let rv = discovery.withLock { _ in
            soPIN.bytes.withUnsafeBytes { pin in
                functions.pointee.C_InitToken(
                    CK_SLOT_ID(slot.rawValue),
                    UnsafeMutablePointer(mutating: pin.baseAddress?.assumingMemoryBound(to: CK_UTF8CHAR.self)),
                    CK_ULONG(pin.count), &padded)
            }
        }
        try check(rv, .initToken)
    }
}

/// Decodes a NUL-terminated C buffer.
func cString(_ buffer: [CChar]) -> String {
    let bytes = buffer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }
    return String(decoding: bytes, as: UTF8.self)
}

private func withOptionalCString<Result>(_ text: String?, _ body: (UnsafePointer<CChar>?) -> Result) -> Result {
    guard let text else { return body(nil) }
    return text.withCString { body($0) }
}
