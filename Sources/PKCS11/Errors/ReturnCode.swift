internal import CPKCS11

/// A PKCS#11 return value (`CK_RV`), kept as the raw number so vendor-defined codes survive.
///
/// An open struct rather than an enum: a module may return any value, and the operator must see
/// exactly what it returned (`CKR_VENDOR_DEFINED+0x12`, `unknown(0x1234)`), never a collapsed guess.
public struct ReturnCode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt

    public init(rawValue: UInt) {
        self.rawValue = rawValue
    }

    /// `CKR_OK`.
    public static let ok = ReturnCode(rawValue: UInt(CKR_OK))
    /// `CKR_GENERAL_ERROR`: on SoftHSM2 2.6.1 also what a tampered or wrongly keyed unwrap returns.
    public static let generalError = ReturnCode(rawValue: UInt(CKR_GENERAL_ERROR))
    /// `CKR_FUNCTION_FAILED`.
    public static let functionFailed = ReturnCode(rawValue: UInt(CKR_FUNCTION_FAILED))
    /// `CKR_ARGUMENTS_BAD`.
    public static let argumentsBad = ReturnCode(rawValue: UInt(CKR_ARGUMENTS_BAD))
    /// `CKR_SLOT_ID_INVALID`.
    public static let slotIDInvalid = ReturnCode(rawValue: UInt(CKR_SLOT_ID_INVALID))
    /// `CKR_ATTRIBUTE_READ_ONLY`.
    public static let attributeReadOnly = ReturnCode(rawValue: UInt(CKR_ATTRIBUTE_READ_ONLY))
    /// `CKR_ATTRIBUTE_SENSITIVE`.
    public static let attributeSensitive = ReturnCode(rawValue: UInt(CKR_ATTRIBUTE_SENSITIVE))
    /// `CKR_ATTRIBUTE_TYPE_INVALID`.
    public static let attributeTypeInvalid = ReturnCode(rawValue: UInt(CKR_ATTRIBUTE_TYPE_INVALID))
    /// `CKR_ATTRIBUTE_VALUE_INVALID`.
    public static let attributeValueInvalid = ReturnCode(rawValue: UInt(CKR_ATTRIBUTE_VALUE_INVALID))
    /// `CKR_ACTION_PROHIBITED`.
    public static let actionProhibited = ReturnCode(rawValue: UInt(CKR_ACTION_PROHIBITED))
    /// `CKR_DEVICE_ERROR`: what p11-kit's client returns once its server is gone.
    public static let deviceError = ReturnCode(rawValue: UInt(CKR_DEVICE_ERROR))
    /// `CKR_DEVICE_REMOVED`.
    public static let deviceRemoved = ReturnCode(rawValue: UInt(CKR_DEVICE_REMOVED))
    /// `CKR_KEY_HANDLE_INVALID`.
    public static let keyHandleInvalid = ReturnCode(rawValue: UInt(CKR_KEY_HANDLE_INVALID))
    /// `CKR_KEY_TYPE_INCONSISTENT`.
    public static let keyTypeInconsistent = ReturnCode(rawValue: UInt(CKR_KEY_TYPE_INCONSISTENT))
    /// `CKR_KEY_FUNCTION_NOT_PERMITTED`.
    public static let keyFunctionNotPermitted = ReturnCode(rawValue: UInt(CKR_KEY_FUNCTION_NOT_PERMITTED))
    /// `CKR_KEY_NOT_WRAPPABLE`.
    public static let keyNotWrappable = ReturnCode(rawValue: UInt(CKR_KEY_NOT_WRAPPABLE))
    /// `CKR_KEY_UNEXTRACTABLE`.
    public static let keyUnextractable = ReturnCode(rawValue: UInt(CKR_KEY_UNEXTRACTABLE))
    /// `CKR_MECHANISM_INVALID`: also what p11-kit's client answers for a mechanism it filters.
    public static let mechanismInvalid = ReturnCode(rawValue: UInt(CKR_MECHANISM_INVALID))
    /// `CKR_MECHANISM_PARAM_INVALID`.
    public static let mechanismParamInvalid = ReturnCode(rawValue: UInt(CKR_MECHANISM_PARAM_INVALID))
    /// `CKR_OBJECT_HANDLE_INVALID`.
    public static let objectHandleInvalid = ReturnCode(rawValue: UInt(CKR_OBJECT_HANDLE_INVALID))
    /// `CKR_PIN_INCORRECT`.
    public static let pinIncorrect = ReturnCode(rawValue: UInt(CKR_PIN_INCORRECT))
    /// `CKR_PIN_INVALID`.
    public static let pinInvalid = ReturnCode(rawValue: UInt(CKR_PIN_INVALID))
    /// `CKR_PIN_LEN_RANGE`.
    public static let pinLenRange = ReturnCode(rawValue: UInt(CKR_PIN_LEN_RANGE))
    /// `CKR_PIN_EXPIRED`.
    public static let pinExpired = ReturnCode(rawValue: UInt(CKR_PIN_EXPIRED))
    /// `CKR_PIN_LOCKED`.
    public static let pinLocked = ReturnCode(rawValue: UInt(CKR_PIN_LOCKED))
    /// `CKR_SESSION_CLOSED`.
    public static let sessionClosed = ReturnCode(rawValue: UInt(CKR_SESSION_CLOSED))
    /// `CKR_SESSION_HANDLE_INVALID`.
    public static let sessionHandleInvalid = ReturnCode(rawValue: UInt(CKR_SESSION_HANDLE_INVALID))
    /// `CKR_SIGNATURE_INVALID`.
    public static let signatureInvalid = ReturnCode(rawValue: UInt(CKR_SIGNATURE_INVALID))
    /// `CKR_TEMPLATE_INCOMPLETE`.
    public static let templateIncomplete = ReturnCode(rawValue: UInt(CKR_TEMPLATE_INCOMPLETE))
    /// `CKR_TEMPLATE_INCONSISTENT`.
    public static let templateInconsistent = ReturnCode(rawValue: UInt(CKR_TEMPLATE_INCONSISTENT))
    /// `CKR_TOKEN_NOT_PRESENT`.
    public static let tokenNotPresent = ReturnCode(rawValue: UInt(CKR_TOKEN_NOT_PRESENT))
    /// `CKR_TOKEN_NOT_RECOGNIZED`.
    public static let tokenNotRecognized = ReturnCode(rawValue: UInt(CKR_TOKEN_NOT_RECOGNIZED))
    /// `CKR_UNWRAPPING_KEY_HANDLE_INVALID`.
    public static let unwrappingKeyHandleInvalid = ReturnCode(rawValue: UInt(CKR_UNWRAPPING_KEY_HANDLE_INVALID))
    /// `CKR_USER_ALREADY_LOGGED_IN`.
    public static let userAlreadyLoggedIn = ReturnCode(rawValue: UInt(CKR_USER_ALREADY_LOGGED_IN))
    /// `CKR_USER_NOT_LOGGED_IN`.
    public static let userNotLoggedIn = ReturnCode(rawValue: UInt(CKR_USER_NOT_LOGGED_IN))
    /// `CKR_USER_PIN_NOT_INITIALIZED`: SoftHSM's answer after its token was re-initialised.
    public static let userPINNotInitialized = ReturnCode(rawValue: UInt(CKR_USER_PIN_NOT_INITIALIZED))
    /// `CKR_WRAPPED_KEY_INVALID`.
    public static let wrappedKeyInvalid = ReturnCode(rawValue: UInt(CKR_WRAPPED_KEY_INVALID))
    /// `CKR_WRAPPED_KEY_LEN_RANGE`.
    public static let wrappedKeyLenRange = ReturnCode(rawValue: UInt(CKR_WRAPPED_KEY_LEN_RANGE))
    /// `CKR_WRAPPING_KEY_HANDLE_INVALID`.
    public static let wrappingKeyHandleInvalid = ReturnCode(rawValue: UInt(CKR_WRAPPING_KEY_HANDLE_INVALID))
    /// `CKR_BUFFER_TOO_SMALL`.
    public static let bufferTooSmall = ReturnCode(rawValue: UInt(CKR_BUFFER_TOO_SMALL))
    /// `CKR_CRYPTOKI_NOT_INITIALIZED`.
    public static let cryptokiNotInitialized = ReturnCode(rawValue: UInt(CKR_CRYPTOKI_NOT_INITIALIZED))
    /// `CKR_CRYPTOKI_ALREADY_INITIALIZED`.
    public static let cryptokiAlreadyInitialized = ReturnCode(rawValue: UInt(CKR_CRYPTOKI_ALREADY_INITIALIZED))
    /// `CKR_DATA_LEN_RANGE`.
    public static let dataLenRange = ReturnCode(rawValue: UInt(CKR_DATA_LEN_RANGE))
    /// `CKR_DOMAIN_PARAMS_INVALID`.
    public static let domainParamsInvalid = ReturnCode(rawValue: UInt(CKR_DOMAIN_PARAMS_INVALID))
    /// `CKR_FUNCTION_NOT_SUPPORTED`.
    public static let functionNotSupported = ReturnCode(rawValue: UInt(CKR_FUNCTION_NOT_SUPPORTED))
    /// `CKR_OPERATION_NOT_INITIALIZED`.
    public static let operationNotInitialized = ReturnCode(rawValue: UInt(CKR_OPERATION_NOT_INITIALIZED))

    /// The first vendor-defined value (`CKR_VENDOR_DEFINED`).
    public static let vendorDefined = ReturnCode(rawValue: UInt(CPKCS11_CKR_VENDOR_DEFINED))

    /// The spec name (`CKR_KEY_UNEXTRACTABLE`), `CKR_VENDOR_DEFINED+0x12` for vendor codes, or
    /// `unknown(0x…)`; never a guess.
    public var name: String {
        if let name = Self.specNames[rawValue] {
            return name
        }
        if rawValue >= Self.vendorDefined.rawValue {
            return "CKR_VENDOR_DEFINED+0x" + String(rawValue - Self.vendorDefined.rawValue, radix: 16)
        }
        return "unknown(0x" + String(rawValue, radix: 16) + ")"
    }

    /// `CKR_KEY_UNEXTRACTABLE (0x6a)`.
    public var description: String {
        "\(name) (0x\(String(rawValue, radix: 16)))"
    }

    /// Whether the outcome of a mutating call that returned this code is unknown (SECURITY.md R18):
    /// the operation may or may not have taken effect, so it must be reconciled, never retried blindly.
    public var leavesOutcomeUnknown: Bool {
        [.generalError, .deviceError, .functionFailed, .deviceRemoved, .sessionHandleInvalid, .sessionClosed]
            .contains(self)
    }
}
