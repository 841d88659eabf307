/// An attribute by its spec name (`CKA_SIGN`), as templates, envelopes and bundles spell it.
///
/// Dictionaries keyed by attribute encode as JSON objects with the spec names as member names.
public struct AttributeName: SpecName, CodingKeyRepresentable {
    public let rawValue: String

    public init(rawValue: String) { self.rawValue = rawValue }

    public var codingKey: any CodingKey { Key(stringValue: rawValue) }

    public init?<T: CodingKey>(codingKey: T) { self.init(rawValue: codingKey.stringValue) }

    private struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    public static let `class`: AttributeName = "CKA_CLASS"
    public static let token: AttributeName = "CKA_TOKEN"
    public static let `private`: AttributeName = "CKA_PRIVATE"
    public static let label: AttributeName = "CKA_LABEL"
    public static let application: AttributeName = "CKA_APPLICATION"
    public static let value: AttributeName = "CKA_VALUE"
    public static let certificateType: AttributeName = "CKA_CERTIFICATE_TYPE"
    public static let trusted: AttributeName = "CKA_TRUSTED"
    public static let keyType: AttributeName = "CKA_KEY_TYPE"
    public static let subject: AttributeName = "CKA_SUBJECT"
    public static let id: AttributeName = "CKA_ID"
    public static let sensitive: AttributeName = "CKA_SENSITIVE"
    public static let encrypt: AttributeName = "CKA_ENCRYPT"
    public static let decrypt: AttributeName = "CKA_DECRYPT"
    public static let wrap: AttributeName = "CKA_WRAP"
    public static let unwrap: AttributeName = "CKA_UNWRAP"
    public static let sign: AttributeName = "CKA_SIGN"
    public static let signRecover: AttributeName = "CKA_SIGN_RECOVER"
    public static let verify: AttributeName = "CKA_VERIFY"
    public static let verifyRecover: AttributeName = "CKA_VERIFY_RECOVER"
    public static let derive: AttributeName = "CKA_DERIVE"
    public static let modulus: AttributeName = "CKA_MODULUS"
    public static let publicExponent: AttributeName = "CKA_PUBLIC_EXPONENT"
    public static let valueLength: AttributeName = "CKA_VALUE_LEN"
    public static let extractable: AttributeName = "CKA_EXTRACTABLE"
    public static let local: AttributeName = "CKA_LOCAL"
    public static let neverExtractable: AttributeName = "CKA_NEVER_EXTRACTABLE"
    public static let alwaysSensitive: AttributeName = "CKA_ALWAYS_SENSITIVE"
    public static let modifiable: AttributeName = "CKA_MODIFIABLE"
    public static let copyable: AttributeName = "CKA_COPYABLE"
    public static let destroyable: AttributeName = "CKA_DESTROYABLE"
    public static let ecParams: AttributeName = "CKA_EC_PARAMS"
    public static let ecPoint: AttributeName = "CKA_EC_POINT"
    public static let alwaysAuthenticate: AttributeName = "CKA_ALWAYS_AUTHENTICATE"
    public static let wrapWithTrusted: AttributeName = "CKA_WRAP_WITH_TRUSTED"
    public static let allowedMechanisms: AttributeName = "CKA_ALLOWED_MECHANISMS"
    public static let unwrapTemplate: AttributeName = "CKA_UNWRAP_TEMPLATE"
    public static let checkValue: AttributeName = "CKA_CHECK_VALUE"

    /// The usage attributes, with the short name ``KeyRecord/usage`` lists for each.
    public static let usages: [(attribute: AttributeName, usage: String)] = [
        (.encrypt, "encrypt"), (.decrypt, "decrypt"), (.sign, "sign"), (.verify, "verify"), (.wrap, "wrap"),
        (.unwrap, "unwrap"), (.derive, "derive"), (.signRecover, "sign-recover"), (.verifyRecover, "verify-recover"),
    ]
}
