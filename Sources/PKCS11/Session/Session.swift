internal import CPKCS11
public import SecureMemory

/// An open PKCS#11 session on one slot.
///
/// Noncopyable and not `Sendable`: PKCS#11 forbids using one session from two threads at once,
/// so a session lives inside one worker and is lent to code through a borrow, never shared.
/// The session closes when the value ends (`CKR_SESSION_CLOSED` is ignored there).
public struct Session: ~Copyable {
    /// The module the session belongs to; held strongly so the module cannot be finalised first.
    public let module: PKCS11Module
    /// The slot the session was opened on.
    public let slot: SlotID
    let handle: CK_SESSION_HANDLE

    init(module: PKCS11Module, slot: SlotID, handle: CK_SESSION_HANDLE) {
        self.module = module
        self.slot = slot
        self.handle = handle
    }

    deinit {
        _ = module.functions.pointee.C_CloseSession(handle)
    }

    var functions: CK_FUNCTION_LIST { module.functions.pointee }

    /// Calls `C_GetSessionInfo`.
    public func info() throws(PKCS11Error) -> SessionInfo {
        var raw = CK_SESSION_INFO()
        try check(functions.C_GetSessionInfo(handle, &raw), .getSessionInfo)
        return SessionInfo(raw)
    }

    /// Calls `C_GenerateRandom`; the bytes are returned as a secret (they may become key material).
    public func generateRandom(count: Int) throws(PKCS11Error) -> SecretBytes {
        var rv = CK_RV(CKR_OK)
        let bytes = SecretBytes(capacity: count) { buffer in
            rv = functions.C_GenerateRandom(
                handle, buffer.baseAddress?.assumingMemoryBound(to: CK_BYTE.self), CK_ULONG(count))
            return count
        }
        try check(rv, .generateRandom)
        return bytes
    }
}

@available(*, unavailable)
extension Session: Sendable {}

/// What a module says about a session (`CK_SESSION_INFO`).
public struct SessionInfo: Hashable, Sendable {
    public let slot: SlotID
    public let state: UInt
    public let isReadWrite: Bool
    public let deviceError: UInt

    init(_ raw: CK_SESSION_INFO) {
        slot = SlotID(rawValue: UInt(raw.slotID))
        state = UInt(raw.state)
        isReadWrite = raw.flags & CK_FLAGS(CKF_RW_SESSION) != 0
        deviceError = UInt(raw.ulDeviceError)
    }

    /// Whether a user (or SO) is logged in on this session's token.
    public var isLoggedIn: Bool {
        [CKS_RO_USER_FUNCTIONS, CKS_RW_USER_FUNCTIONS, CKS_RW_SO_FUNCTIONS].map(UInt.init).contains(state)
    }
}
