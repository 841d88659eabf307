import Foundation
public import HSMSyncModel

/// Where one logical key stands on one HSM.
public enum HoldingState: String, Sendable, Codable, Hashable {
    /// The HSM holds the key, with the fleet's material and policy.
    case present
    /// The HSM could be scanned and does not hold it.
    case missing
    /// The HSM holds an object with the key's identity but different material or attributes, or several.
    case conflict
    /// The HSM could not be scanned.
    case unknown
}

/// One logical key as a watch cycle saw it on every HSM.
public struct ObservedKey: Sendable, Hashable {
    public let identity: KeyIdentity
    /// The fingerprint the key has where it is present (the authoritative copy's when they differ).
    public let fingerprint: String?
    /// Per HSM name.
    public let holdings: [String: HoldingState]

    /// The text that names the key in the database and in `/v1/keys`: class, label and CKA_ID.
    public var keyID: String { Self.keyID(identity) }

    static func keyID(_ identity: KeyIdentity) -> String {
        "\(identity.objectClass)/\(identity.label)/\(identity.id)"
    }

    /// Whether every HSM holds it.
    public var presentEverywhere: Bool { holdings.values.allSatisfy { $0 == .present } }
}

/// What one scan of the fleet showed, key by key: the input of the key timeline.
public struct FleetObservation: Sendable {
    public let keys: [ObservedKey]
    /// Whether every HSM was scanned (only then may keys no HSM holds be forgotten).
    public let complete: Bool

    /// Derives each key's holdings from the audit of the same scans: present where an HSM holds a
    /// comparable object with the identity, conflict where the audit names the HSM in a
    /// material, attribute or duplicate finding for it, missing or unknown elsewhere.
    public init(report: AuditReport, inventories: [String: TokenInventory], fleet: Fleet) {
        let conflictKinds: Set<Finding.Kind> = [.materialMismatch, .attributeMismatch, .duplicate]
        var conflicts: Set<String> = []
        for finding in report.findings where conflictKinds.contains(finding.kind) {
            guard let key = finding.key else { continue }
            let identity = KeyIdentity(objectClass: key.class, label: key.label, id: key.id)
            conflicts.insert(finding.hsm + "\u{0}" + Self.name(identity))
        }
        var held: [KeyIdentity: [String: String?]] = [:]
        for (hsm, inventory) in inventories {
            for record in inventory.objects where !record.isOdd {
                guard !fleet.isInfrastructure(label: record.label), fleet.keys.contains(label: record.label ?? "")
                else {
                    continue
                }
                held[record.identity, default: [:]][hsm] = record.fingerprint.digest
            }
        }
        let reachable = Set(inventories.keys)
        keys = held.keys.sorted().map { identity in
            var holdings: [String: HoldingState] = [:]
            for hsm in fleet.hsms.map(\.name) {
                if !reachable.contains(hsm) {
                    holdings[hsm] = .unknown
                } else if conflicts.contains(hsm + "\u{0}" + Self.name(identity)) {
                    holdings[hsm] = .conflict
                } else {
                    holdings[hsm] = held[identity]?[hsm] != nil ? .present : .missing
                }
            }
            let fingerprints = held[identity] ?? [:]
            let authority = fleet.hsms.first { $0.role != .secondary && fingerprints[$0.name] != nil }?.name
            let fingerprint = (authority.flatMap { fingerprints[$0] } ?? fingerprints.values.first) ?? nil
            return ObservedKey(identity: identity, fingerprint: fingerprint, holdings: holdings)
        }
        complete = reachable.count == fleet.hsms.count
    }

    private static func name(_ identity: KeyIdentity) -> String { ObservedKey.keyID(identity) }
}
