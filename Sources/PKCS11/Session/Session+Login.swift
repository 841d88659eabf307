internal import CPKCS11
public import SecureMemory

/// Who logs in (`CK_USER_TYPE`).
public enum UserType: Sendable, Hashable {
    /// `CKU_USER`, the normal user (crypto officer).
    case user
    /// `CKU_SO`, the security officer: ceremony commands only.
    case securityOfficer

    var raw: CK_USER_TYPE {
        switch self {
        case .user: return CK_USER_TYPE(CKU_USER)
        case .securityOfficer: return CK_USER_TYPE(CKU_SO)
        }
    }
}

extension Session {
    /// Calls `C_Login` exactly once; the PIN is consumed and wiped, whatever the outcome.
    ///
    /// There is no retry: a wrong PIN on a real HSM counts towards its lockout. Login is per token
    /// per process, so `CKR_USER_ALREADY_LOGGED_IN` counts as success.
    public func login(_ user: UserType = .user, pin: consuming PIN) throws(PKCS11Error) {
        let rv = pin.bytes.withUnsafeBytes { bytes in
            functions.C_Login(
                handle, user.raw,
                UnsafeMutablePointer(mutating: bytes.baseAddress?.assumingMemoryBound(to: CK_UTF8CHAR.self)),
                CK_ULONG(bytes.count))
        }
        if rv == CKR_USER_ALREADY_LOGGED_IN {
            return
        }
        try check(rv, .login)
    }

    /// Calls `C_Logout` (which logs out every session of this process on the token).
    public func logout() throws(PKCS11Error) {
        let rv = functions.C_Logout(handle)
        if rv == CKR_USER_NOT_LOGGED_IN {
            return
        }
        try check(rv, .logout)
    }

    /// Calls `C_InitPIN` (SO session): sets the user PIN of a freshly initialised token.
    public func initPIN(_ pin: consuming PIN) throws(PKCS11Error) {
        let rv = pin.bytes.withUnsafeBytes { bytes in
            functions.C_InitPIN(
                handle, UnsafeMutablePointer(mutating: bytes.baseAddress?.assumingMemoryBound(to: CK_UTF8CHAR.self)),
                CK_ULONG(bytes.count))
        }
        try check(rv, .initPIN)
    }
}
