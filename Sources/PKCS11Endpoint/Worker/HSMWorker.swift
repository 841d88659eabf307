public import HSMSyncModel
public import Logging
public import PKCS11
import SecureMemory
import SignedLog

/// One HSM of the fleet, worked on its own thread through one logged-in session.
///
/// Every PKCS#11 call for this HSM runs on the worker's dedicated thread (the actor's executor),
/// so blocking calls never stall Swift's cooperative pool and several HSMs are worked at once.
/// The session and every object handle stay inside the worker: code runs against them through
/// ``withSession(_:)``, and only values come out.
public actor HSMWorker {
    /// The HSM as the fleet file describes it.
    public nonisolated let configuration: HSMConfiguration
    /// The module instance the HSM is reached through.
    public nonisolated let module: PKCS11Module
    private nonisolated let executor: ThreadExecutor
    private let logger: Logger
    private var slot: SlotID?
    private var session: Session?
    /// The token as found when the worker was opened.
    public private(set) var tokenInfo: TokenInfo?
    /// Handles from the last scan, by key identity (for later work in the same run; never exported).
    private var index: [KeyIdentity: [ObjectHandle]] = [:]
    private var transportHandle: ObjectHandle?
    /// The transport key's check value from the last scan (`nil`: none, or not computable).
    public private(set) var transportCheckValueFromScan: String?
    /// The backup key a restore unwraps under, found once per run.
    var restoreBackupKey: (label: String, handle: ObjectHandle)?
    /// Private signing keys found by label (the log key): looked up once per worker.
    var signingKeys: [String: ObjectHandle] = [:]
    /// What the token can do, once probed (``capabilities()``).
    var probedCapabilities: TokenCapabilities?
    /// Whether the session is read-write (the capability probe may then try token objects).
    private(set) var isReadWrite = false
    /// Held while the worker is open read-write: no other hsmsync process changes the token meanwhile.
    private var tokenLock: TokenLock?

    public nonisolated var unownedExecutor: UnownedSerialExecutor {
        executor.asUnownedSerialExecutor()
    }

    /// Whether the caller runs on this worker's thread (for assertions and tests).
    public nonisolated var isOnWorkerThread: Bool { executor.isCurrentThread }

    /// The HSM's fleet name.
    public nonisolated var name: String { configuration.name }

    public init(configuration: HSMConfiguration, module: PKCS11Module, logger: Logger) {
        self.configuration = configuration
        self.module = module
        self.executor = ThreadExecutor(name: "hsmsync.hsm.\(configuration.name)")
        var logger = logger
        logger[metadataKey: "hsm.name"] = "\(configuration.name)"
        self.logger = logger
    }

    deinit {
        executor.shutdown()
    }

    /// Finds the token, opens the worker's session and logs in (exactly one `C_Login`).
    ///
    /// "No slots at all" is reported as unreachable, never as an empty token (SECURITY.md P3).
    /// The token's PIN flags are read first: a locked PIN, or a final try, is never attempted.
    ///
    /// - Parameter pins: where the PIN comes from (the options' provider, else `env:`/`file:` sources).
    public func open(readWrite: Bool, options: ConnectOptions = ConnectOptions()) async throws(HSMError) {
        let name = configuration.name
        let uri = configuration.token
        let slots: [SlotID]
        do {
            slots = try module.slots(withTokenPresent: true)
        } catch {
            throw HSMError(hsm: name, .device(DeviceError(error), operation: "listing slots"))
        }
        guard !slots.isEmpty else {
            let hint =
                configuration.serverAddress.map { "is the p11-kit server at \($0) running?" }
                ?? "is the HSM connected and its client configured?"
            throw HSMError(hsm: name, .unreachable(reason: "\(module.path) reports no slots at all (\(hint))"))
        }
        let lookup: TokenLookup
        do {
            lookup = try module.tokenLookup {
                uri.matches(
                    label: $0.label, serialNumber: $0.serialNumber, model: $0.model, manufacturer: $0.manufacturer)
            }
        } catch {
            throw HSMError(hsm: name, .device(DeviceError(error), operation: "reading token information"))
        }
        let matches = lookup.matches
        guard matches.count == 1 else {
            if matches.isEmpty {
                let seen = lookup.seen.filter { $0.flags.contains(.tokenInitialized) }.map(\.label)
                let unreadable = lookup.unreadable.map { "\($0.slot): \($0.error)" }
                throw HSMError(hsm: name, .tokenNotFound(uri: uri.text, tokensSeen: seen, unreadable: unreadable))
            }
            throw HSMError(hsm: name, .tokenAmbiguous(uri: uri.text, labels: matches.map(\.token.label)))
        }
        let (slot, token) = matches[0]
        logger.debug(
            "token found",
            metadata: ["hsm.token.label": "\(token.label)", "hsm.token.serial": "\(token.serialNumber)"])

        // Before the session and the login: a token another hsmsync process is changing is not
        // even logged into (SoftHSM2's C_Login rewrites the token's file, racing that process).
        let lock =
            readWrite
            ? try TokenLock.acquire(token, hsm: name, purpose: options.purpose ?? TokenLock.currentCommand) : nil
        let opened: Session
        do {
            opened = try module.openSession(slot, readWrite: readWrite)
        } catch {
            throw HSMError(hsm: name, .device(DeviceError(error), operation: "opening a session"))
        }
        if options.login {
            try Self.checkPINFlags(token, name: name, allowFinalTry: options.allowFinalTry, logger: logger)
            let description = TokenDescription(
                label: token.label, serialNumber: token.serialNumber, model: token.model,
                manufacturer: token.manufacturer, firmware: token.firmwareVersion.description)
            let pin = try await (options.pins ?? SourcePINs()).pin(for: configuration, token: description)
            do {
                try opened.login(pin: pin)
            } catch {
                logger.warning("login refused", metadata: ["pkcs11.function": "C_Login", "pkcs11.rv": "\(error.code)"])
                let device = DeviceError(error)
                throw HSMError(
                    hsm: name,
                    device.isPINIncorrect ? .pinRefused(source: configuration.pin.description) : .loginFailed(device))
            }
        }
        self.slot = slot
        self.tokenInfo = token
        self.session = consume opened
        self.tokenLock = lock
        self.isReadWrite = readWrite
    }

    /// R16: read the PIN counters before trying, and never spend the last attempt unasked.
    private static func checkPINFlags(_ token: TokenInfo, name: String, allowFinalTry: Bool, logger: Logger)
        throws(HSMError)
    {
        if token.flags.contains(.userPINLocked) {
            throw HSMError(hsm: name, .pinLocked)
        }
        if !token.flags.contains(.userPINInitialized) {
            throw HSMError(hsm: name, .userPINNotInitialized)
        }
        if token.flags.contains(.userPINFinalTry) && !allowFinalTry {
            throw HSMError(hsm: name, .pinFinalTry)
        }
        if token.flags.contains(.userPINCountLow) {
            logger.warning(
                "the token reports failed PIN attempts since the last successful login (CKF_USER_PIN_COUNT_LOW)")
        }
    }

    /// Runs `body` on the worker's thread with its session.
    ///
    /// - Throws: ``HSMError/Kind/notOpen`` before ``open(readWrite:options:)``, else what `body` throws.
    public func withSession<T: Sendable & ~Copyable>(_ body: @Sendable (borrowing Session) throws -> T) throws -> T {
        switch session {
        case .some(let session):
            return try body(session)
        case .none:
            throw HSMError(hsm: configuration.name, .notOpen)
        }
    }

    /// Closes the session (logging out the token for this process).
    public func close() {
        session = nil
        tokenLock = nil
        index = [:]
        signingKeys = [:]
        restoreBackupKey = nil
        transportHandle = nil
        transportCheckValueFromScan = nil
    }

    /// Scans the token (``Session/scanInventory(transportLabel:scope:progress:)``) and remembers every
    /// object's handle by identity, so later work in this run can address keys without searching.
    public func scanToken(transportLabel: String, scope: KeyScope, progress: (@Sendable (Int, Int) -> Void)? = nil)
        throws -> TokenScan
    {
        let scan = try withSession { session in
            try session.scanInventory(transportLabel: transportLabel, scope: scope, progress: progress)
        }
        var index: [KeyIdentity: [ObjectHandle]] = [:]
        for (record, handle) in zip(scan.objects, scan.handles) {
            index[record.identity, default: []].append(handle)
        }
        self.index = index
        transportHandle = scan.transportHandle
        transportCheckValueFromScan = scan.transportHandle == nil ? nil : scan.transport.checkValue
        return scan
    }

    /// Runs `body` with the session, the handles of the objects with `identities` (one each, from
    /// the last scan) and the transport key's handle from the last scan (`nil` when there was none).
    ///
    /// - Throws: ``HSMError`` when an identity matched no object, or several.
    public func withObjects<T: Sendable>(
        _ identities: [KeyIdentity], _ body: @Sendable (borrowing Session, [ObjectHandle], ObjectHandle?) throws -> T
    ) throws -> T {
        var handles: [ObjectHandle] = []
        for identity in identities {
            let found = index[identity] ?? []
            guard found.count == 1, let handle = found.first else {
                throw HSMError(hsm: name, .objectNotUnique(identity: identity.description, count: found.count))
            }
            handles.append(handle)
        }
        let transport = transportHandle
        let found = handles
        return try withSession { session in try body(session, found, transport) }
    }

    /// Runs `body` with the session and the handles of every object with `identity` from the last
    /// scan (possibly none): for objects that share an identity, such as torn ones with none at all.
    public func withEveryObject<T: Sendable>(
        _ identity: KeyIdentity, _ body: @Sendable (borrowing Session, [ObjectHandle]) throws -> T
    ) throws -> T {
        let found = index[identity] ?? []
        return try withSession { session in try body(session, found) }
    }

    /// Runs `body` with the session and the transport key's handle from the last scan.
    public func withTransportKey<T: Sendable>(_ body: @Sendable (borrowing Session, ObjectHandle) throws -> T) throws
        -> T
    {
        guard let handle = transportHandle else {
            throw HSMError(hsm: name, .objectNotUnique(identity: "the transport key", count: 0))
        }
        return try withSession { session in try body(session, handle) }
    }

    /// The slot the token was found in, valid until the module is re-initialised.
    public var currentSlot: SlotID? { slot }
}
