/// What an HSM holds under the fleet's transport label, read without revealing anything secret.
public struct TransportKeyInspection: Sendable, Hashable, Codable {
    /// The label looked for.
    public let label: String
    /// How many objects (of any class) carry the label: 1 is right, 0 is missing, more is ambiguous.
    public let objects: Int
    /// The key's attributes, when exactly one object carries the label.
    public let record: KeyRecord?
    /// What breaks the transport-key policy (R1, R2, R4), as phrases completing "transport key …";
    /// empty when the key meets every rule or is absent.
    public let violations: [String]
    /// The transport check value computed in the HSM, when the key could wrap the probe.
    public let checkValue: String?
    /// Why there is no check value (missing key, several objects, no `CKA_WRAP`, a failed wrap).
    public let checkValueUnavailable: String?

    /// Whether at least one object carries the label.
    public var isPresent: Bool { objects > 0 }

    /// Whether there is exactly one, policy-conforming transport key with a check value.
    public var isSound: Bool { objects == 1 && violations.isEmpty && checkValue != nil }

    /// Why the key cannot be used to wrap (`nil` when it is sound), as a phrase for an error.
    public var unsoundReason: String? {
        guard !isSound else { return nil }
        if objects == 0 { return "there is no key labelled \"\(label)\"" }
        if !violations.isEmpty { return "the key \(violations.joined(separator: "; "))" }
        return checkValueUnavailable ?? "no check value"
    }

    package init(
        label: String, objects: Int, record: KeyRecord?, violations: [String], checkValue: String?,
        checkValueUnavailable: String?
    ) {
        self.label = label
        self.objects = objects
        self.record = record
        self.violations = violations
        self.checkValue = checkValue
        self.checkValueUnavailable = checkValueUnavailable
    }
}
