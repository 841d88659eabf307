/// One thing the parity audit found (DESIGN.md "Parity report").
public struct Finding: Sendable, Hashable, Codable {
    public let kind: Kind
    /// The HSM the finding is about.
    public let hsm: String
    /// The HSM whose copy is authoritative for this comparison, when there is one.
    public let reference: String?
    /// The key concerned, when the finding is about a key.
    public let key: KeySummary?
    /// What exactly differs or is wrong.
    public let detail: String
    /// What the operator should do next.
    public let nextStep: String

    public init(
        kind: Kind, hsm: String, reference: String? = nil, key: KeySummary? = nil, detail: String,
        nextStep: String? = nil
    ) {
        self.kind = kind
        self.hsm = hsm
        self.reference = reference
        self.key = key
        self.detail = detail
        self.nextStep = nextStep ?? kind.nextStep
    }

    /// The finding kinds; one word each, stable (DESIGN.md).
    public enum Kind: String, Sendable, Hashable, Codable, CaseIterable, Comparable {
        case unreachable
        case transportMissing = "transport-missing"
        case transportMismatch = "transport-mismatch"
        case missing
        case extra
        case materialMismatch = "material-mismatch"
        case attributeMismatch = "attribute-mismatch"
        case duplicate
        case unsyncable
        /// The HSM's token cannot hold keys of this type at all (EC on a token without EC): reported
        /// on every audit, never counted as drift, never copied.
        case capabilityGap = "capability-gap"
        case policy

        public static func < (lhs: Kind, rhs: Kind) -> Bool {
            allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
        }

        /// Whether the kind breaks parity. `policy` findings are lint: reported and counted, but
        /// they change the status and exit code only with `--strict-policy`.
        public var breaksParity: Bool { self != .policy && self != .capabilityGap }

        /// The default next step for the operator.
        public var nextStep: String {
            switch self {
            case .unreachable:
                return "Check the HSM, its client or p11-kit server and the network; every other HSM was still audited."
            case .transportMissing:
                return "Establish the transport key on this HSM in a ceremony (hsmsync transport install or agree)."
            case .transportMismatch:
                return "Replicate nothing to or from this HSM; re-establish the transport key in a ceremony."
            case .missing:
                return
                    "Review `hsmsync reconcile --fleet F` (the plan), then apply it to copy the key from the reference."
            case .extra:
                return
                    "A key only a secondary holds is never propagated: find out who created it, then remove it or create it on a primary in a ceremony."
            case .materialMismatch:
                return
                    "Two different keys share one identity: stop, establish which is genuine, never overwrite; resolve in a ceremony."
            case .attributeMismatch:
                return
                    "The same key carries a different policy: compare with the reference and correct the weaker copy in a ceremony."
            case .duplicate:
                return
                    "Several objects share class, label and CKA_ID: identify the stray one by fingerprint (hsmsync inventory) and remove it."
            case .unsyncable:
                return
                    "The key cannot be copied by wrapping (not extractable): create it on the other HSMs by the vendor's means, or accept the gap."
            case .capabilityGap:
                return
                    "The HSM's token cannot hold this type of key: accept the gap, or hold these keys on HSMs whose tokens can."
            case .policy:
                return "Review the key's attributes; recreate it with a safer policy at its next rotation."
            }
        }
    }
}

/// The key a finding is about, as reports show it.
public struct KeySummary: Sendable, Hashable, Codable {
    public let label: String
    public let id: String
    public let `class`: ObjectKind
    public let keyType: KeyAlgorithm?

    public init(label: String, id: String, class: ObjectKind, keyType: KeyAlgorithm?) {
        self.label = label
        self.id = id
        self.class = `class`
        self.keyType = keyType
    }

    public init(_ record: KeyRecord) {
        self.init(label: record.label ?? "", id: record.id ?? "", class: record.objectClass, keyType: record.keyType)
    }

    /// `private-key "ca-root" (id 01a4)`.
    public var displayName: String {
        "\(`class`) \"\(label)\"\(id.isEmpty ? "" : " (id \(id))")"
    }
}
