/// Why a PKCS#11 module could not be loaded; the text is what the operator needs to fix it.
public enum LoadError: Error, Hashable, Sendable, CustomStringConvertible {
    /// `dlopen` failed: the file is missing, unreadable or not a shared library for this machine.
    case libraryNotLoadable(path: String, dlerror: String)
    /// The library loaded but exports no `C_GetFunctionList`: it is not a PKCS#11 module.
    case notAPKCS11Module(path: String, dlerror: String)
    /// `C_GetFunctionList` or `C_Initialize` failed.
    case initializationFailed(path: String, error: PKCS11Error)
    /// The library was already initialised in this process with other `C_Initialize` arguments: a
    /// module initialises once per process, so the second configuration would get the first's.
    case conflictingInitArguments(path: String)

    public var description: String {
        switch self {
        case .libraryNotLoadable(let path, let dlerror):
            return "cannot load PKCS#11 module \(path): \(dlerror)"
        case .notAPKCS11Module(let path, let dlerror):
            return "\(path) is not a PKCS#11 module (no C_GetFunctionList: \(dlerror))"
        case .initializationFailed(let path, let error):
            return "PKCS#11 module \(path) failed to initialise: \(error)"
        case .conflictingInitArguments(let path):
            return
                "PKCS#11 module \(path) is already initialised in this process with other initArgs; a module "
                + "initialises once per process (for NSS softoken, name several databases in one initArgs with "
                + "tokens=<…>)"
        }
    }
}
