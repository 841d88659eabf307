internal import CPKCS11

/// What a module says about a slot (`CK_SLOT_INFO`).
public struct SlotInfo: Hashable, Sendable {
    public let description: String
    public let manufacturer: String
    public let isTokenPresent: Bool
    public let isRemovableDevice: Bool
    public let isHardwareSlot: Bool

    init(_ raw: CK_SLOT_INFO) {
        description = fixedString(raw.slotDescription)
        manufacturer = fixedString(raw.manufacturerID)
        isTokenPresent = raw.flags & CK_FLAGS(CKF_TOKEN_PRESENT) != 0
        isRemovableDevice = raw.flags & CK_FLAGS(CKF_REMOVABLE_DEVICE) != 0
        isHardwareSlot = raw.flags & CK_FLAGS(CKF_HW_SLOT) != 0
    }
}
