internal import CPKCS11

/// What a token says about one mechanism (`CK_MECHANISM_INFO`).
public struct MechanismInfo: Hashable, Sendable {
    public let minimumKeySize: UInt
    public let maximumKeySize: UInt
    public let flags: Flags

    init(_ raw: CK_MECHANISM_INFO) {
        minimumKeySize = UInt(raw.ulMinKeySize)
        maximumKeySize = UInt(raw.ulMaxKeySize)
        flags = Flags(rawValue: UInt(raw.flags))
    }

    public init(minimumKeySize: UInt, maximumKeySize: UInt, flags: Flags) {
        self.minimumKeySize = minimumKeySize
        self.maximumKeySize = maximumKeySize
        self.flags = flags
    }

    /// `CKF_*` capability flags of a mechanism.
    public struct Flags: OptionSet, Hashable, Sendable {
        public let rawValue: UInt
        public init(rawValue: UInt) { self.rawValue = rawValue }
        public static let hardware = Flags(rawValue: UInt(CKF_HW))
        public static let encrypt = Flags(rawValue: UInt(CKF_ENCRYPT))
        public static let decrypt = Flags(rawValue: UInt(CKF_DECRYPT))
        public static let digest = Flags(rawValue: UInt(CKF_DIGEST))
        public static let sign = Flags(rawValue: UInt(CKF_SIGN))
        public static let verify = Flags(rawValue: UInt(CKF_VERIFY))
        public static let generate = Flags(rawValue: UInt(CKF_GENERATE))
        public static let generateKeyPair = Flags(rawValue: UInt(CKF_GENERATE_KEY_PAIR))
        public static let wrap = Flags(rawValue: UInt(CKF_WRAP))
        public static let unwrap = Flags(rawValue: UInt(CKF_UNWRAP))
        public static let derive = Flags(rawValue: UInt(CKF_DERIVE))

        /// Short names of the set flags, in a stable order (`encrypt`, `wrap`, `unwrap`, …).
        public var names: [String] {
            let all: [(Flags, String)] = [
                (.hardware, "hardware"), (.encrypt, "encrypt"), (.decrypt, "decrypt"), (.digest, "digest"),
                (.sign, "sign"), (.verify, "verify"), (.generate, "generate"), (.generateKeyPair, "generate-key-pair"),
                (.wrap, "wrap"), (.unwrap, "unwrap"), (.derive, "derive"),
            ]
            return all.filter { contains($0.0) }.map(\.1)
        }
    }
}
