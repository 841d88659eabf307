internal import CPKCS11

/// A failed PKCS#11 call: the raw return code, its spec name and the function that returned it.
///
/// `description` is what the operator reads: `C_WrapKey: CKR_KEY_UNEXTRACTABLE (0x6a)`. Two errors
/// are equal when code and function are; tests build expected errors that way.
public struct PKCS11Error: Error, Hashable, Sendable, CustomStringConvertible {
    /// The module's return value, vendor-defined codes included.
    public let code: ReturnCode
    /// The function that returned it.
    public let function: Function

    public init(code: ReturnCode, function: Function) {
        self.code = code
        self.function = function
    }

    public var description: String {
        "\(function.name): \(code)"
    }
}

/// The one conversion point from a `CK_RV` to Swift errors.
@inline(__always)
func check(_ rv: CK_RV, _ function: Function) throws(PKCS11Error) {
    if rv != CK_RV(CKR_OK) {
        throw PKCS11Error(code: ReturnCode(rawValue: UInt(rv)), function: function)
    }
}
