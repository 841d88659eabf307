/// A key's or object's complete attribute template as a backup bundle records it: every attribute
/// hsmsync needs to recreate the object with the same policy, by spec name (`CKA_LABEL`), never
/// secret material.
///
/// The JSON form is one object whose member names are spec names and whose value kinds follow
/// ``BackupAttributeKind`` (docs/backup-format.md). Unknown names are refused, so a bundle cannot
/// smuggle an attribute hsmsync would not set knowingly.
public struct BackupTemplate: Sendable, Hashable {
    /// The attributes by spec name.
    public private(set) var values: [AttributeName: BackupAttributeValue]

    public init(values: [AttributeName: BackupAttributeValue] = [:]) {
        self.values = values
    }

    /// The value of `name`, if recorded.
    public subscript(name: AttributeName) -> BackupAttributeValue? {
        get { values[name] }
        set { values[name] = newValue }
    }

    /// A boolean attribute, if recorded.
    public func bool(_ name: AttributeName) -> Bool? {
        if case .bool(let value) = values[name] { return value }
        return nil
    }

    /// A byte-string attribute, if recorded.
    public func bytes(_ name: AttributeName) -> [UInt8]? {
        if case .bytes(let value) = values[name] { return value }
        return nil
    }

    /// `CKA_CLASS`.
    public var objectClass: ObjectKind? {
        if case .name(let value) = values[.class] { return ObjectKind(rawValue: value) }
        return nil
    }

    /// `CKA_KEY_TYPE`.
    public var keyType: KeyAlgorithm? {
        if case .name(let value) = values[.keyType] { return KeyAlgorithm(rawValue: value) }
        return nil
    }

    /// `CKA_LABEL`.
    public var label: String? {
        if case .text(let value) = values[.label] { return value }
        return nil
    }

    /// `CKA_ID` as lowercase hex.
    public var id: String? { bytes(.id)?.hexString }

    /// The identity (class, label, CKA_ID) the template gives.
    public var identity: KeyIdentity {
        KeyIdentity(objectClass: objectClass ?? .unknown, label: label ?? "", id: id ?? "")
    }

    /// The usages the template allows, by their short names (`encrypt`, `unwrap`).
    public var usage: [String] {
        AttributeName.usages.compactMap { bool($0.attribute) == true ? $0.usage : nil }
    }
}

/// One recorded attribute value.
public enum BackupAttributeValue: Sendable, Hashable {
    /// A `CK_BBOOL`.
    case bool(Bool)
    /// A `CK_ULONG` (`CKA_CERTIFICATE_TYPE`).
    case number(UInt)
    /// A byte string (hex in JSON).
    case bytes([UInt8])
    /// A UTF-8 string (`CKA_LABEL`).
    case text(String)
    /// A class or key type by its short name (`secret-key`, `aes`).
    case name(String)
    /// `CKA_ALLOWED_MECHANISMS`: mechanism numbers.
    case mechanisms([UInt])
}

/// The kind of JSON value an attribute is written as.
public enum BackupAttributeKind: Sendable, Hashable {
    case bool, number, bytes, text, objectClass, keyType, mechanisms
}
