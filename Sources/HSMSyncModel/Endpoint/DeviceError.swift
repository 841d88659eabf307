/// A call the HSM refused or failed, as the engine sees it: the function, the return code by its
/// spec name and value, and what the code means for the caller — never the binding's own types,
/// so that an endpoint across the network reports failures the same way.
///
/// `description` is what the operator reads: `C_WrapKey: CKR_KEY_UNEXTRACTABLE (0x6a)`.
public struct DeviceError: Error, Hashable, Sendable, CustomStringConvertible {
    /// `C_WrapKey`.
    public let function: String
    /// The return code's spec name (`CKR_KEY_UNEXTRACTABLE`, `CKR_VENDOR_DEFINED+0x12`).
    public let code: String
    /// The return code's value.
    public let value: UInt
    /// Whether a mutating call's outcome is unknown after this code (rule R18): reconciled, never
    /// retried blindly.
    public let leavesOutcomeUnknown: Bool

    public init(function: String, code: String, value: UInt, leavesOutcomeUnknown: Bool) {
        self.function = function
        self.code = code
        self.value = value
        self.leavesOutcomeUnknown = leavesOutcomeUnknown
    }

    public var description: String {
        "\(function): \(code) (0x\(String(value, radix: 16)))"
    }

    /// The user PIN was refused (`CKR_PIN_INCORRECT`).
    public var isPINIncorrect: Bool { code == "CKR_PIN_INCORRECT" }

    /// The device is gone rather than refusing: removed, failing, not initialised.
    public var isDeviceLoss: Bool {
        ["CKR_DEVICE_ERROR", "CKR_DEVICE_REMOVED", "CKR_TOKEN_NOT_PRESENT", "CKR_CRYPTOKI_NOT_INITIALIZED"].contains(
            code)
    }
}

extension DeviceError: CategorizedError {
    public var category: FailureCategory { .runtime }
}
