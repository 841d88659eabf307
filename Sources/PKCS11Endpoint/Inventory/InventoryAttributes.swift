import HSMSyncModel
import PKCS11
import SignedLog

/// The attributes one inventory read asks for, and which of them a given kind of object defines.
///
/// One `C_GetAttributeValue` per object reads all of them. When the token answers
/// `CKR_ATTRIBUTE_TYPE_INVALID`, attributes the object's class or key type does not define are
/// taken as invalid without another call; any other unavailable attribute is resolved precisely.
enum InventoryAttributes {
    static let all: [AttributeType] = [
        .class, .keyType, .label, .id, .token, .private, .modifiable, .copyable, .destroyable, .sensitive, .extractable,
        .encrypt, .decrypt, .sign, .verify, .wrap, .unwrap, .derive, .signRecover, .verifyRecover, .wrapWithTrusted,
        .trusted, .local, .alwaysSensitive, .neverExtractable, .valueLength, .modulus, .publicExponent, .ecParams,
        .ecPoint, .allowedMechanisms, .certificateType,
    ]

    private static let common: Set<AttributeType> = [
        .class, .token, .private, .modifiable, .label, .copyable, .destroyable,
    ]
    private static let key: Set<AttributeType> = [
        .keyType, .id, .derive, .local, .allowedMechanisms, .startDate, .endDate, .keyGenMechanism,
    ]
    private static let secretKey: Set<AttributeType> = [
        .sensitive, .encrypt, .decrypt, .sign, .verify, .wrap, .unwrap, .extractable, .alwaysSensitive,
        .neverExtractable, .wrapWithTrusted, .trusted, .valueLength, .checkValue,
    ]
    private static let privateKey: Set<AttributeType> = [
        .sensitive, .decrypt, .sign, .signRecover, .unwrap, .extractable, .alwaysSensitive, .neverExtractable,
        .wrapWithTrusted, .alwaysAuthenticate, .publicKeyInfo,
    ]
    private static let publicKey: Set<AttributeType> = [
        .encrypt, .verify, .verifyRecover, .wrap, .trusted, .publicKeyInfo,
    ]

    /// Whether PKCS#11 defines `type` for an object of this class and key type; an unavailable
    /// attribute that is not defined is simply invalid for the object.
    static func isDefined(_ type: AttributeType, for known: AttributeSet) -> Bool {
        if common.contains(type) { return true }
        guard let objectClass = known.objectClass else { return true }  // unknown class: resolve precisely
        switch objectClass {
        case .secretKey:
            return key.contains(type) || secretKey.contains(type)
        case .privateKey:
            return key.contains(type) || privateKey.contains(type) || keyMaterial(type, known.keyType, isPublic: false)
        case .publicKey:
            return key.contains(type) || publicKey.contains(type) || keyMaterial(type, known.keyType, isPublic: true)
        case .certificate:
            return [.certificateType, .trusted, .id, .subject, .issuer, .serialNumber, .value].contains(type)
        case .data:
            return [.application, .objectID, .value].contains(type)
        default:
            return true
        }
    }

    private static func keyMaterial(_ type: AttributeType, _ keyType: KeyType?, isPublic: Bool) -> Bool {
        switch keyType {
        case .some(.rsa): return [.modulus, .publicExponent, .modulusBits].contains(type)
        case .some(.ec), .some(.ecEdwards): return type == .ecParams || (isPublic && type == .ecPoint)
        case .none: return true
        default: return false
        }
    }
}
