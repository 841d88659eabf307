/// Loads each PKCS#11 module once per process and hands out the shared instance.
///
/// The registry runs on its own thread: `C_Initialize` may take seconds (SoftHSM2 reads every
/// object file of every token) and must not hold up Swift's cooperative pool. It also serialises
/// module loads (the `P11_KIT_SERVER_ADDRESS` dance itself is locked process-wide in `PKCS11Module`).
public actor ModuleRegistry {
    private struct Key: Hashable {
        let path: String
        let serverAddress: String?
        let initArguments: String?
    }

    private let executor = ThreadExecutor(name: "hsmsync.modules")
    private var modules: [Key: PKCS11Module] = [:]

    public nonisolated var unownedExecutor: UnownedSerialExecutor {
        executor.asUnownedSerialExecutor()
    }

    public init() {}

    /// The module at `path` (for p11-kit's client, connected to `serverAddress`; initialised with
    /// `initArguments` as `pReserved`), loading and initialising it on first use.
    ///
    /// - Throws: ``LoadError``; ``LoadError/conflictingInitArguments(path:)`` when the library was
    ///   already initialised in this process with other arguments.
    public func module(path: String, serverAddress: String? = nil, initArguments: String? = nil) throws(LoadError)
        -> PKCS11Module
    {
        let key = Key(path: path, serverAddress: serverAddress, initArguments: initArguments)
        if let module = modules[key] {
            return module
        }
        let module = try PKCS11Module(path: path, serverAddress: serverAddress, initArguments: initArguments)
        modules[key] = module
        return module
    }

    deinit {
        executor.shutdown()
    }
}
