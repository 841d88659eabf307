import HSMSyncModel
import SecureMemory

/// Which stand-in material each scratch token gets, so that the rehearsal fleet has the real
/// fleet's relations: one material per key the real HSMs hold (same identity, type and size, and
/// equal fingerprints), and one stand-in transport key per distinct real transport check value.
struct StandInPlan {
    /// One stand-in to make: the real key's record, and its material (`nil`: generated in the token).
    struct StandIn {
        let record: KeyRecord
        let material: StandInMaterial?
    }

    /// Per HSM name, the stand-ins for its in-scope keys.
    private(set) var standIns: [String: [StandIn]] = [:]
    /// Human lines on what is shared and what differs.
    private(set) var summary: [String] = []
    private var transportValues: [String: SecretBox] = [:]
    /// The stand-in for real transport keys whose check value could not be computed, when no other is known.
    private let unknownTransport = SecretBox(StandInMaterial.random(32))

    /// One real key as held by one or more HSMs: the fingerprints seen (by method) and its material.
    private struct Group {
        var fingerprints: [String: String]
        /// The size its material was made for (`nil`: not known, e.g. a copy made by `C_UnwrapKey`).
        let size: Int?
        let material: StandInMaterial?
        var holders: Set<String>

        /// Whether `record` can be a copy of this key as far as sizes tell.
        func fits(_ record: KeyRecord) -> Bool {
            size == nil || record.size == nil || size == record.size
        }
    }

    /// What makes two records candidates for one material: identity, type and curve (sizes may be
    /// unknown on one copy: see ``Group/fits(_:)``).
    private struct Shape: Hashable {
        let identity: KeyIdentity
        let keyType: KeyAlgorithm?
        let curve: String?
    }

    init(fleet: Fleet, scans: [HSMScan]) {
        var groups: [Shape: [Group]] = [:]
        var order: [(hsm: String, record: KeyRecord, shape: Shape, group: Int)] = []
        for scan in scans {
            guard let inventory = scan.inventory else { continue }
            for record in inventory.objects
            where !record.isOdd && !fleet.isInfrastructure(label: record.label ?? "")
                && fleet.keys.contains(label: record.label ?? "") && record.objectClass.holdsSecretMaterial
            {
                let shape = Shape(
                    identity: KeyIdentity(
                        objectClass: record.objectClass, label: record.label ?? "", id: record.id ?? ""),
                    keyType: record.keyType, curve: record.curve)
                let index = Self.place(record, of: scan.configuration.name, in: &groups[shape, default: []])
                order.append((scan.configuration.name, record, shape, index))
            }
            if let checkValue = inventory.transport.checkValue, transportValues[checkValue] == nil,
                inventory.transport.objects == 1
            {
                transportValues[checkValue] = SecretBox(StandInMaterial.random(32))
            }
        }
        for entry in order {
            let material = groups[entry.shape]![entry.group].material
            standIns[entry.hsm, default: []].append(StandIn(record: entry.record, material: material))
        }
        let all = groups.values.flatMap { $0 }
        let shared = all.filter { $0.holders.count > 1 && $0.material != nil }.count
        let split = groups.values.filter { $0.count > 1 }.count
        summary.append(
            "stand-ins share material where the real HSMs hold the same key: \(shared) key(s) on several HSMs"
                + (split > 0 ? "; \(split) key(s) the real HSMs hold with different material, different here too" : "")
                + (transportValues.count > 1
                    ? "; \(transportValues.count) different transport keys, as on the real HSMs" : ""))
    }

    /// The stand-in transport key for an HSM's real one: shared by every HSM with the same check
    /// value (and by those whose check value could not be computed); `nil` without exactly one.
    func transportValue(for inventory: TokenInventory) -> SecretBox? {
        guard inventory.transport.objects == 1 else { return nil }
        if let checkValue = inventory.transport.checkValue { return transportValues[checkValue] }
        return transportValues.sorted { $0.key < $1.key }.first?.value ?? unknownTransport
    }

    /// Places `record` in the group of the real key it is a copy of; returns the group's index.
    /// Same fingerprint (same method): the same key. A method no group member was fingerprinted
    /// with, or no fingerprint: not provably different, so the same key (the rehearsal must not
    /// invent a conflict). Otherwise a new key, with material of its own.
    private static func place(_ record: KeyRecord, of hsm: String, in groups: inout [Group]) -> Int {
        let index: Int
        if case .available(let method, let digest) = record.fingerprint {
            let name = method.description
            index =
                groups.firstIndex { $0.fingerprints[name] == digest }
                ?? groups.firstIndex { $0.fingerprints[name] == nil && $0.fits(record) }
                ?? append(record, to: &groups)
            groups[index].fingerprints[name] = digest
        } else {
            index = groups.firstIndex { $0.fits(record) } ?? append(record, to: &groups)
        }
        groups[index].holders.insert(hsm)
        return index
    }

    private static func append(_ record: KeyRecord, to groups: inout [Group]) -> Int {
        groups.append(
            Group(
                fingerprints: [:], size: record.size, material: try? StandInMaterial.generate(for: record),
                holders: []))
        return groups.count - 1
    }
}
