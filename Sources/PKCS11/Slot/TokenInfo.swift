internal import CPKCS11

/// What a module says about a token (`CK_TOKEN_INFO`).
public struct TokenInfo: Hashable, Sendable {
    public let label: String
    public let manufacturer: String
    public let model: String
    public let serialNumber: String
    public let flags: Flags
    public let maxSessionCount: UInt
    public let sessionCount: UInt
    public let maxReadWriteSessionCount: UInt
    public let minPINLength: UInt
    public let maxPINLength: UInt
    public let hardwareVersion: Version
    public let firmwareVersion: Version

    /// The raw structure, kept for p11-kit's URI matcher.
    let raw: CK_TOKEN_INFO

    init(_ raw: CK_TOKEN_INFO) {
        self.raw = raw
        label = fixedString(raw.label)
        manufacturer = fixedString(raw.manufacturerID)
        model = fixedString(raw.model)
        serialNumber = fixedString(raw.serialNumber)
        flags = Flags(rawValue: UInt(raw.flags))
        maxSessionCount = UInt(raw.ulMaxSessionCount)
        sessionCount = UInt(raw.ulSessionCount)
        maxReadWriteSessionCount = UInt(raw.ulMaxRwSessionCount)
        minPINLength = UInt(raw.ulMinPinLen)
        maxPINLength = UInt(raw.ulMaxPinLen)
        hardwareVersion = Version(raw.hardwareVersion)
        firmwareVersion = Version(raw.firmwareVersion)
    }

    public static func == (lhs: TokenInfo, rhs: TokenInfo) -> Bool {
        lhs.label == rhs.label && lhs.manufacturer == rhs.manufacturer && lhs.model == rhs.model
            && lhs.serialNumber == rhs.serialNumber && lhs.flags == rhs.flags
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(label)
        hasher.combine(serialNumber)
        hasher.combine(model)
        hasher.combine(manufacturer)
    }

    /// `CKF_*` token flags.
    public struct Flags: OptionSet, Hashable, Sendable {
        public let rawValue: UInt
        public init(rawValue: UInt) { self.rawValue = rawValue }
        public static let rng = Flags(rawValue: UInt(CKF_RNG))
        public static let writeProtected = Flags(rawValue: UInt(CKF_WRITE_PROTECTED))
        public static let loginRequired = Flags(rawValue: UInt(CKF_LOGIN_REQUIRED))
        public static let userPINInitialized = Flags(rawValue: UInt(CKF_USER_PIN_INITIALIZED))
        public static let tokenInitialized = Flags(rawValue: UInt(CKF_TOKEN_INITIALIZED))
        public static let userPINCountLow = Flags(rawValue: UInt(CKF_USER_PIN_COUNT_LOW))
        public static let userPINFinalTry = Flags(rawValue: UInt(CKF_USER_PIN_FINAL_TRY))
        public static let userPINLocked = Flags(rawValue: UInt(CKF_USER_PIN_LOCKED))
        public static let userPINToBeChanged = Flags(rawValue: UInt(CKF_USER_PIN_TO_BE_CHANGED))
        public static let soPINCountLow = Flags(rawValue: UInt(CKF_SO_PIN_COUNT_LOW))
        public static let soPINFinalTry = Flags(rawValue: UInt(CKF_SO_PIN_FINAL_TRY))
        public static let soPINLocked = Flags(rawValue: UInt(CKF_SO_PIN_LOCKED))
    }
}
