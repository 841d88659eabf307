import HSMSyncModel
import PKCS11

extension DeviceError {
    /// The binding's error as the engine sees it.
    init(_ error: PKCS11Error) {
        self.init(
            function: error.function.name, code: error.code.name, value: error.code.rawValue,
            leavesOutcomeUnknown: error.code.leavesOutcomeUnknown)
    }
}
