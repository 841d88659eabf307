/// What a read returned for one attribute.
public enum AttributeStatus: Hashable, Sendable {
    /// The value, in the module's encoding.
    case available([UInt8])
    /// `CKR_ATTRIBUTE_SENSITIVE`: the attribute exists but may not be revealed.
    case sensitive
    /// `CKR_ATTRIBUTE_TYPE_INVALID`: the object has no such attribute.
    case invalid
    /// The module gave no value and no reason (another error for this attribute alone).
    case unavailable
}

/// The attributes of one object, read together, each with its own status; an odd object
/// (no label, no value, a vendor class) never makes the whole read fail.
public struct AttributeSet: Hashable, Sendable {
    /// The attribute types, in the order they were requested.
    public let types: [AttributeType]
    /// `statuses[i]` is the status of `types[i]`.
    public let statuses: [AttributeStatus]

    public init(types: [AttributeType], statuses: [AttributeStatus]) {
        precondition(types.count == statuses.count, "one status per attribute type")
        self.types = types
        self.statuses = statuses
    }

    /// Builds a set from (type, status) pairs.
    public init(_ entries: [(type: AttributeType, status: AttributeStatus)]) {
        self.init(types: entries.map(\.type), statuses: entries.map(\.status))
    }

    /// Statuses with their types, in request order.
    public var entries: [(type: AttributeType, status: AttributeStatus)] {
        zip(types, statuses).map { (type: $0, status: $1) }
    }

    /// The status of `type`, or `nil` when it was not requested.
    public subscript(type: AttributeType) -> AttributeStatus? {
        types.firstIndex(of: type).map { statuses[$0] }
    }

    /// The raw value, when available.
    public func bytes(_ type: AttributeType) -> [UInt8]? {
        guard let index = types.firstIndex(of: type), case .available(let bytes) = statuses[index] else { return nil }
        return bytes
    }

    /// A `CK_BBOOL` value, when available and well-formed.
    public func bool(_ type: AttributeType) -> Bool? {
        guard let index = types.firstIndex(of: type), case .available(let bytes) = statuses[index], bytes.count == 1
        else { return nil }
        return bytes[0] != 0
    }

    /// A `CK_ULONG` value, when available and well-formed.
    public func ulong(_ type: AttributeType) -> UInt? {
        bytes(type).flatMap(decodeULong)
    }

    /// A UTF-8 string value (invalid sequences repaired), when available.
    public func string(_ type: AttributeType) -> String? {
        bytes(type).map { String(decoding: $0, as: UTF8.self) }
    }

    /// `CKA_CLASS`.
    public var objectClass: ObjectClass? { ulong(.class).map(ObjectClass.init(rawValue:)) }
    /// `CKA_KEY_TYPE`.
    public var keyType: KeyType? { ulong(.keyType).map(KeyType.init(rawValue:)) }

    /// `CKA_ALLOWED_MECHANISMS`, when available.
    public var allowedMechanisms: [MechanismType]? {
        guard let bytes = bytes(.allowedMechanisms) else { return nil }
        let width = MemoryLayout<UInt>.size
        guard bytes.count % width == 0 else { return nil }
        return stride(from: 0, to: bytes.count, by: width).compactMap { offset in
            decodeULong(Array(bytes[offset..<offset + width])).map(MechanismType.init(rawValue:))
        }
    }
}
