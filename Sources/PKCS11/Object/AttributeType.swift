internal import CPKCS11

/// An attribute type (`CK_ATTRIBUTE_TYPE`), open so vendor-defined attributes stay representable.
public struct AttributeType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt
    public init(rawValue: UInt) { self.rawValue = rawValue }

    /// `CKA_CLASS`.
    public static let `class` = AttributeType(rawValue: UInt(CKA_CLASS))
    /// `CKA_TOKEN`.
    public static let token = AttributeType(rawValue: UInt(CKA_TOKEN))
    /// `CKA_PRIVATE`.
    public static let `private` = AttributeType(rawValue: UInt(CKA_PRIVATE))
    /// `CKA_LABEL`.
    public static let label = AttributeType(rawValue: UInt(CKA_LABEL))
    /// `CKA_APPLICATION`.
    public static let application = AttributeType(rawValue: UInt(CKA_APPLICATION))
    /// `CKA_VALUE`.
    public static let value = AttributeType(rawValue: UInt(CKA_VALUE))
    /// `CKA_OBJECT_ID`.
    public static let objectID = AttributeType(rawValue: UInt(CKA_OBJECT_ID))
    /// `CKA_CERTIFICATE_TYPE`.
    public static let certificateType = AttributeType(rawValue: UInt(CKA_CERTIFICATE_TYPE))
    /// `CKA_ISSUER`.
    public static let issuer = AttributeType(rawValue: UInt(CKA_ISSUER))
    /// `CKA_SERIAL_NUMBER`.
    public static let serialNumber = AttributeType(rawValue: UInt(CKA_SERIAL_NUMBER))
    /// `CKA_SUBJECT`.
    public static let subject = AttributeType(rawValue: UInt(CKA_SUBJECT))
    /// `CKA_TRUSTED`.
    public static let trusted = AttributeType(rawValue: UInt(CKA_TRUSTED))
    /// `CKA_CHECK_VALUE`.
    public static let checkValue = AttributeType(rawValue: UInt(CKA_CHECK_VALUE))
    /// `CKA_KEY_TYPE`.
    public static let keyType = AttributeType(rawValue: UInt(CKA_KEY_TYPE))
    /// `CKA_ID`.
    public static let id = AttributeType(rawValue: UInt(CKA_ID))
    /// `CKA_SENSITIVE`.
    public static let sensitive = AttributeType(rawValue: UInt(CKA_SENSITIVE))
    /// `CKA_ENCRYPT`.
    public static let encrypt = AttributeType(rawValue: UInt(CKA_ENCRYPT))
    /// `CKA_DECRYPT`.
    public static let decrypt = AttributeType(rawValue: UInt(CKA_DECRYPT))
    /// `CKA_WRAP`.
    public static let wrap = AttributeType(rawValue: UInt(CKA_WRAP))
    /// `CKA_UNWRAP`.
    public static let unwrap = AttributeType(rawValue: UInt(CKA_UNWRAP))
    /// `CKA_SIGN`.
    public static let sign = AttributeType(rawValue: UInt(CKA_SIGN))
    /// `CKA_SIGN_RECOVER`.
    public static let signRecover = AttributeType(rawValue: UInt(CKA_SIGN_RECOVER))
    /// `CKA_VERIFY`.
    public static let verify = AttributeType(rawValue: UInt(CKA_VERIFY))
    /// `CKA_VERIFY_RECOVER`.
    public static let verifyRecover = AttributeType(rawValue: UInt(CKA_VERIFY_RECOVER))
    /// `CKA_DERIVE`.
    public static let derive = AttributeType(rawValue: UInt(CKA_DERIVE))
    /// `CKA_START_DATE`.
    public static let startDate = AttributeType(rawValue: UInt(CKA_START_DATE))
    /// `CKA_END_DATE`.
    public static let endDate = AttributeType(rawValue: UInt(CKA_END_DATE))
    /// `CKA_MODULUS`.
    public static let modulus = AttributeType(rawValue: UInt(CKA_MODULUS))
    /// `CKA_MODULUS_BITS`.
    public static let modulusBits = AttributeType(rawValue: UInt(CKA_MODULUS_BITS))
    /// `CKA_PUBLIC_EXPONENT`.
    public static let publicExponent = AttributeType(rawValue: UInt(CKA_PUBLIC_EXPONENT))
    /// `CKA_PRIVATE_EXPONENT`.
    public static let privateExponent = AttributeType(rawValue: UInt(CKA_PRIVATE_EXPONENT))
    /// `CKA_PRIME_1`.
    public static let prime1 = AttributeType(rawValue: UInt(CKA_PRIME_1))
    /// `CKA_PRIME_2`.
    public static let prime2 = AttributeType(rawValue: UInt(CKA_PRIME_2))
    /// `CKA_EXPONENT_1`.
    public static let exponent1 = AttributeType(rawValue: UInt(CKA_EXPONENT_1))
    /// `CKA_EXPONENT_2`.
    public static let exponent2 = AttributeType(rawValue: UInt(CKA_EXPONENT_2))
    /// `CKA_COEFFICIENT`.
    public static let coefficient = AttributeType(rawValue: UInt(CKA_COEFFICIENT))
    /// `CKA_PUBLIC_KEY_INFO` (DER SubjectPublicKeyInfo).
    public static let publicKeyInfo = AttributeType(rawValue: UInt(CKA_PUBLIC_KEY_INFO))
    /// `CKA_VALUE_LEN`.
    public static let valueLength = AttributeType(rawValue: UInt(CKA_VALUE_LEN))
    /// `CKA_EXTRACTABLE`.
    public static let extractable = AttributeType(rawValue: UInt(CKA_EXTRACTABLE))
    /// `CKA_LOCAL`.
    public static let local = AttributeType(rawValue: UInt(CKA_LOCAL))
    /// `CKA_NEVER_EXTRACTABLE`.
    public static let neverExtractable = AttributeType(rawValue: UInt(CKA_NEVER_EXTRACTABLE))
    /// `CKA_ALWAYS_SENSITIVE`.
    public static let alwaysSensitive = AttributeType(rawValue: UInt(CKA_ALWAYS_SENSITIVE))
    /// `CKA_KEY_GEN_MECHANISM`.
    public static let keyGenMechanism = AttributeType(rawValue: UInt(CKA_KEY_GEN_MECHANISM))
    /// `CKA_MODIFIABLE`.
    public static let modifiable = AttributeType(rawValue: UInt(CKA_MODIFIABLE))
    /// `CKA_COPYABLE`.
    public static let copyable = AttributeType(rawValue: UInt(CKA_COPYABLE))
    /// `CKA_DESTROYABLE`.
    public static let destroyable = AttributeType(rawValue: UInt(CKA_DESTROYABLE))
    /// `CKA_EC_PARAMS`.
    public static let ecParams = AttributeType(rawValue: UInt(CKA_EC_PARAMS))
    /// `CKA_EC_POINT`.
    public static let ecPoint = AttributeType(rawValue: UInt(CKA_EC_POINT))
    /// `CKA_ALWAYS_AUTHENTICATE`.
    public static let alwaysAuthenticate = AttributeType(rawValue: UInt(CKA_ALWAYS_AUTHENTICATE))
    /// `CKA_WRAP_WITH_TRUSTED`.
    public static let wrapWithTrusted = AttributeType(rawValue: UInt(CKA_WRAP_WITH_TRUSTED))
    /// `CKA_WRAP_TEMPLATE`.
    public static let wrapTemplate = AttributeType(rawValue: UInt(CKA_WRAP_TEMPLATE))
    /// `CKA_UNWRAP_TEMPLATE`.
    public static let unwrapTemplate = AttributeType(rawValue: UInt(CKA_UNWRAP_TEMPLATE))
    /// `CKA_DERIVE_TEMPLATE`.
    public static let deriveTemplate = AttributeType(rawValue: UInt(CKA_DERIVE_TEMPLATE))
    /// `CKA_ALLOWED_MECHANISMS`.
    public static let allowedMechanisms = AttributeType(rawValue: UInt(CKA_ALLOWED_MECHANISMS))
    /// `CKA_VENDOR_DEFINED`, the first vendor value.
    public static let vendorDefined = AttributeType(rawValue: UInt(CPKCS11_CKA_VENDOR_DEFINED))

    /// Whether values of this type are an array of attributes (`CKF_ARRAY_ATTRIBUTE`).
    public var isTemplate: Bool {
        rawValue & UInt(CKF_ARRAY_ATTRIBUTE) != 0 && self != .allowedMechanisms
    }

    /// `CKA_WRAP_WITH_TRUSTED`, or `CKA_VENDOR_DEFINED+0x…`.
    public var description: String {
        specName(rawValue, Self.specNames, vendorBase: Self.vendorDefined.rawValue, prefix: "CKA")
    }

    /// A first-guess buffer size, so most reads need one call; a value that does not fit costs
    /// one more call for that attribute only.
    var expectedSize: Int {
        switch self {
        case .class, .keyType, .certificateType, .valueLength, .modulusBits, .keyGenMechanism:
            return MemoryLayout<CK_ULONG>.size
        case .token, .private, .trusted, .sensitive, .encrypt, .decrypt, .wrap, .unwrap, .sign, .signRecover,
            .verify, .verifyRecover, .derive, .extractable, .local, .neverExtractable, .alwaysSensitive,
            .modifiable, .copyable, .destroyable, .alwaysAuthenticate, .wrapWithTrusted:
            return MemoryLayout<CK_BBOOL>.size
        case .modulus, .value, .publicKeyInfo, .subject, .issuer:
            return 1_100
        case .ecPoint:
            return 160
        case .ecParams, .checkValue, .publicExponent:
            return 64
        case .allowedMechanisms:
            return 16 * MemoryLayout<CK_ULONG>.size
        default:
            return 256
        }
    }
}
