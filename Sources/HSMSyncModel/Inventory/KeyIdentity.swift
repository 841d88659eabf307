/// How a key is recognised across HSMs: its class, `CKA_LABEL` and `CKA_ID` (DESIGN.md).
///
/// Material is never part of the identity: two objects with the same identity and different
/// material are a `material-mismatch`, not two keys.
public struct KeyIdentity: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    /// `secret-key`, `private-key`, `public-key`, `certificate`, …
    public let objectClass: ObjectKind
    public let label: String
    /// `CKA_ID` as lowercase hex.
    public let id: String

    public init(objectClass: ObjectKind, label: String, id: String) {
        self.objectClass = objectClass
        self.label = label
        self.id = id
    }

    public static func < (lhs: KeyIdentity, rhs: KeyIdentity) -> Bool {
        (lhs.label, lhs.id, lhs.objectClass) < (rhs.label, rhs.id, rhs.objectClass)
    }

    public var description: String {
        "\(objectClass) \"\(label)\" id \(id.isEmpty ? "(none)" : id)"
    }
}
