internal import CPKCS11
import SecureMemory

/// One attribute of a template: a type and its value as PKCS#11 encodes it.
///
/// Values are stored in the module's own encoding (a `CK_BBOOL` byte, a native `CK_ULONG`, raw
/// bytes), so what is sent is exactly what a read gives back. Secret values never travel in an
/// `Attribute`: `Session.createObject(_:secretValue:)` lends them straight from ``SecretBytes``.
public struct Attribute: Hashable, Sendable, CustomStringConvertible {
    public let type: AttributeType
    public let value: Value

    /// An attribute value: plain bytes, or a nested template (`CKA_UNWRAP_TEMPLATE`).
    public indirect enum Value: Hashable, Sendable {
        case bytes([UInt8])
        case template([Attribute])
    }

    public init(_ type: AttributeType, _ value: Value) {
        self.type = type
        self.value = value
    }

    /// A `CK_BBOOL` attribute.
    public static func bool(_ type: AttributeType, _ value: Bool) -> Attribute {
        Attribute(type, .bytes([value ? CPKCS11_TRUE : CPKCS11_FALSE]))
    }

    /// A `CK_ULONG` attribute, in the machine's byte order as PKCS#11 requires.
    public static func ulong(_ type: AttributeType, _ value: UInt) -> Attribute {
        Attribute(type, .bytes(encodeULong(value)))
    }

    /// A byte-string attribute (`CKA_ID`, `CKA_EC_POINT`, …).
    public static func bytes(_ type: AttributeType, _ value: [UInt8]) -> Attribute {
        Attribute(type, .bytes(value))
    }

    /// A UTF-8 string attribute (`CKA_LABEL`).
    public static func string(_ type: AttributeType, _ value: String) -> Attribute {
        Attribute(type, .bytes(Array(value.utf8)))
    }

    /// `CKA_CLASS`.
    public static func `class`(_ value: ObjectClass) -> Attribute { .ulong(.class, value.rawValue) }
    /// `CKA_KEY_TYPE`.
    public static func keyType(_ value: KeyType) -> Attribute { .ulong(.keyType, value.rawValue) }
    /// `CKA_LABEL`.
    public static func label(_ value: String) -> Attribute { .string(.label, value) }
    /// `CKA_ID`.
    public static func id(_ value: [UInt8]) -> Attribute { .bytes(.id, value) }
    /// `CKA_ALLOWED_MECHANISMS`.
    public static func allowedMechanisms(_ value: [MechanismType]) -> Attribute {
        Attribute(.allowedMechanisms, .bytes(value.flatMap { encodeULong($0.rawValue) }))
    }
    /// A nested template (`CKA_UNWRAP_TEMPLATE`, `CKA_WRAP_TEMPLATE`).
    public static func template(_ type: AttributeType, _ value: [Attribute]) -> Attribute {
        Attribute(type, .template(value))
    }

    public var description: String {
        switch value {
        case .bytes(let bytes):
            return "\(type)=\(bytes.count) bytes"
        case .template(let attributes):
            return "\(type)=[\(attributes.map(\.description).joined(separator: ", "))]"
        }
    }
}

func encodeULong(_ value: UInt) -> [UInt8] {
    withUnsafeBytes(of: CK_ULONG(value)) { Array($0) }
}

func decodeULong(_ bytes: [UInt8]) -> UInt? {
    guard bytes.count == MemoryLayout<CK_ULONG>.size else { return nil }
    return UInt(bytes.withUnsafeBytes { $0.loadUnaligned(as: CK_ULONG.self) })
}
