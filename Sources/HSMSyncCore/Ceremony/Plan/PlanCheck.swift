public import HSMSyncModel

/// What the planner checked for a step against the live fleet (counting what earlier steps of the
/// plan create or destroy), with what it found. A check either holds or is a problem.
public enum PlanCheck: Sendable, Hashable {
    /// No object may carry `label` on `hsm` yet; `found` do.
    case labelFree(hsm: String, label: String, found: Int)
    /// A fleet-check step's token: its serial (against the expected one, `nil` for any) and the
    /// listed mechanisms it does not offer.
    case token(hsm: String, serial: String, expectedSerial: String?, serialMatches: Bool, missingMechanisms: [String])
    /// `hsm` will hold `count` transport keys under `label` at this step (exactly one is right).
    case transportKeys(hsm: String, label: String, count: Int)
    /// A backup-create step's output file must not exist.
    case bundleFree(path: String, exists: Bool)
    /// A bundle a step reads: at `path`, or made by an earlier step.
    case bundleAvailable(bundle: String, path: String, madeEarlier: Bool, exists: Bool)
    /// The fleet's backup key on `hsm`.
    case backupKey(hsm: String, label: String, present: Bool)
    /// Something to destroy under `label` on `hsm`.
    case keyToDestroy(hsm: String, label: String, found: Int)
    /// A restore never targets a primary.
    case restoreTarget(hsm: String, isPrimary: Bool)
    /// A replicate step's source holds `keys` keys in the step's scope (live or generated earlier).
    case replicationSource(hsm: String, keys: Int)
    /// One key a replicate step copies from `hsm`.
    case replicatedKey(
        hsm: String, keyClass: ObjectKind, label: String, extractable: Bool, inFleetScope: Bool, wrapWithTrusted: Bool)

    /// Whether the check holds.
    public var holds: Bool { problems(step: "").isEmpty }

    /// What is wrong, when the check does not hold, as the refusal names it.
    public func problems(step id: String) -> [String] {
        problem(step: id).map { [$0] } ?? multipleProblems(step: id)
    }

    private func multipleProblems(step id: String) -> [String] {
        switch self {
        case .token(let hsm, let serial, let expected, let serialMatches, let missing):
            var problems: [String] = []
            if !serialMatches {
                problems.append("step \(id): \(hsm) has token serial \(serial), not \(expected ?? "any")")
            }
            if !missing.isEmpty {
                problems.append("step \(id): \(hsm) does not offer \(missing.joined(separator: ", "))")
            }
            return problems
        case .replicatedKey(let hsm, let keyClass, let label, let extractable, let inScope, _):
            var problems: [String] = []
            if keyClass.holdsSecretMaterial && !extractable {
                problems.append("step \(id): \(keyClass) \"\(label)\" on \(hsm) is not extractable")
            }
            if !inScope { problems.append("step \(id): \"\(label)\" is outside the fleet's key scope") }
            return problems
        default:
            return []
        }
    }

    private func problem(step id: String) -> String? {
        switch self {
        case .labelFree(let hsm, let label, let found) where found > 0:
            return "step \(id): \(hsm) already holds \(found) object(s) labelled \"\(label)\""
        case .transportKeys(let hsm, _, let count) where count != 1:
            return "step \(id): \(hsm) will hold \(count) transport key(s), not 1"
        case .bundleFree(let path, true):
            return "step \(id): \(path) exists; a backup never overwrites a file"
        case .bundleAvailable(_, let path, false, false):
            return "step \(id): no bundle at \(path)"
        case .backupKey(let hsm, let label, false):
            return "step \(id): \(hsm) holds no backup key \"\(label)\""
        case .keyToDestroy(let hsm, let label, 0):
            return "step \(id): \(hsm) holds nothing labelled \"\(label)\" to destroy"
        case .restoreTarget(let hsm, true):
            return "step \(id): \(hsm) is a primary; a restore never targets a primary"
        case .replicationSource(let hsm, 0):
            return "step \(id): \(hsm) will hold no key in the step's scope"
        default:
            return nil
        }
    }

    /// The check's canonical form, for the plan digest: its kind and findings, no prose.
    public var canonicalValue: JSONValue {
        switch self {
        case .labelFree(let hsm, let label, let found):
            return .object(["check": "label-free", "hsm": .string(hsm), "label": .string(label), "found": .int(found)])
        case .token(let hsm, let serial, let expected, let serialMatches, let missing):
            return .object([
                "check": "token", "hsm": .string(hsm), "serial": .string(serial),
                "expectedSerial": expected.map(JSONValue.string) ?? .null, "serialMatches": .bool(serialMatches),
                "missingMechanisms": .array(missing.map(JSONValue.string)),
            ])
        case .transportKeys(let hsm, let label, let count):
            return .object([
                "check": "transport-keys", "hsm": .string(hsm), "label": .string(label), "count": .int(count),
            ])
        case .bundleFree(let path, let exists):
            return .object(["check": "bundle-free", "path": .string(path), "exists": .bool(exists)])
        case .bundleAvailable(let bundle, let path, let madeEarlier, let exists):
            return .object([
                "check": "bundle-available", "bundle": .string(bundle), "path": .string(path),
                "madeEarlier": .bool(madeEarlier), "exists": .bool(exists),
            ])
        case .backupKey(let hsm, let label, let present):
            return .object([
                "check": "backup-key", "hsm": .string(hsm), "label": .string(label), "present": .bool(present),
            ])
        case .keyToDestroy(let hsm, let label, let found):
            return .object([
                "check": "key-to-destroy", "hsm": .string(hsm), "label": .string(label), "found": .int(found),
            ])
        case .restoreTarget(let hsm, let isPrimary):
            return .object(["check": "restore-target", "hsm": .string(hsm), "isPrimary": .bool(isPrimary)])
        case .replicationSource(let hsm, let keys):
            return .object(["check": "replication-source", "hsm": .string(hsm), "keys": .int(keys)])
        case .replicatedKey(let hsm, let keyClass, let label, let extractable, let inScope, let wrapWithTrusted):
            return .object([
                "check": "replicated-key", "hsm": .string(hsm), "class": .string(keyClass.rawValue),
                "label": .string(label), "extractable": .bool(extractable), "inFleetScope": .bool(inScope),
                "wrapWithTrusted": .bool(wrapWithTrusted),
            ])
        }
    }
}

extension JSONValue {
    fileprivate static func int(_ value: Int) -> JSONValue { .integer(Int64(value)) }
}
