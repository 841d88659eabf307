public import Foundation
import HSMSyncModel
import SQLKit

/// One logical key's history, as `/v1/keys` shows it.
public struct KeyTimelineEntry: Sendable, Codable, Hashable {
    public struct Holding: Sendable, Codable, Hashable {
        public let state: HoldingState
        /// When the HSM was first seen holding the key.
        public let firstSeenAt: Date?
    }

    public let `class`: String
    public let label: String
    public let id: String
    public let fingerprint: String?
    /// When any HSM was first seen holding it.
    public let firstSeenAt: Date
    /// When every HSM was first seen holding it (since it last was not everywhere).
    public let presentEverywhereAt: Date?
    /// `presentEverywhereAt - firstSeenAt`: how long the fleet took to sync the key.
    public let syncLagSeconds: Double?
    public let hsms: [String: Holding]
}

extension StateStore {
    /// Brings the key timeline up to `observation`, writing only what changed since the last one.
    ///
    /// - Returns: the keys that became present everywhere in this observation.
    @discardableResult
    public func record(_ observation: FleetObservation, at date: Date) async throws -> [KeyTimelineEntry] {
        try await exclusively {
            let previous = try await loadTimelineCache()
            let now = date.timeIntervalSince1970
            var reachedEverywhere: [String] = []
            var cache = previous
            try await transaction {
                for key in observation.keys {
                    let id = key.keyID
                    let before = previous[id]
                    guard before != key else { continue }
                    cache[id] = key
                    if before == nil {
                        try await database.raw(
                            """
                            INSERT INTO keys (key_id, object_class, label, ckaid, fingerprint, first_seen_at, last_seen_at) \
                            VALUES (\(bind: id), \(bind: key.identity.objectClass.rawValue), \(bind: key.identity.label), \
                            \(bind: key.identity.id), \(bind: key.fingerprint), \(bind: now), \(bind: now)) \
                            ON CONFLICT (key_id) DO UPDATE SET fingerprint = excluded.fingerprint, last_seen_at = excluded.last_seen_at
                            """
                        ).run()
                    } else if before?.fingerprint != key.fingerprint {
                        try await database.raw(
                            "UPDATE keys SET fingerprint = \(bind: key.fingerprint) WHERE key_id = \(bind: id)"
                        ).run()
                    }
                    if key.presentEverywhere, before?.presentEverywhere != true {
                        try await database.raw(
                            "UPDATE keys SET present_everywhere_at = \(bind: now) WHERE key_id = \(bind: id)"
                        ).run()
                        reachedEverywhere.append(id)
                    } else if !key.presentEverywhere, before?.presentEverywhere == true {
                        try await database.raw(
                            "UPDATE keys SET present_everywhere_at = NULL WHERE key_id = \(bind: id)"
                        ).run()
                    }
                    for (hsm, state) in key.holdings where before?.holdings[hsm] != state {
                        try await database.raw(
                            """
                            INSERT INTO key_holdings (key_id, hsm, state, first_seen_at, last_seen_at) \
                            VALUES (\(bind: id), \(bind: hsm), \(bind: state.rawValue), \(bind: now), \(bind: now)) \
                            ON CONFLICT (key_id, hsm) DO UPDATE SET state = excluded.state, last_seen_at = excluded.last_seen_at
                            """
                        ).run()
                        if state == .present, let earlier = before?.holdings[hsm], earlier != .unknown {
                            // It arrived now (an HSM that was unreachable may have held it all along).
                            try await database.raw(
                                """
                                UPDATE key_holdings SET first_seen_at = \(bind: now) \
                                WHERE key_id = \(bind: id) AND hsm = \(bind: hsm)
                                """
                            ).run()
                        }
                    }
                }
                if observation.complete {
                    let seen = Set(observation.keys.map(\.keyID))
                    for gone in previous.keys where !seen.contains(gone) {
                        try await database.raw("DELETE FROM key_holdings WHERE key_id = \(bind: gone)").run()
                        try await database.raw("DELETE FROM keys WHERE key_id = \(bind: gone)").run()
                        cache[gone] = nil
                    }
                }
            }
            timelineCache = cache
            guard !reachedEverywhere.isEmpty else { return [] }
            let entries = try await keyTimeline()
            let reached = Set(reachedEverywhere)
            return entries.filter { reached.contains(ObservedKey.keyID(Self.identity($0))) }
        }
    }

    /// Every key the timeline knows, sorted by label, id and class.
    public func keyTimeline() async throws -> [KeyTimelineEntry] {
        var holdings: [String: [String: KeyTimelineEntry.Holding]] = [:]
        for row in try await readConnection().raw("SELECT key_id, hsm, state, first_seen_at FROM key_holdings").all() {
            let state = HoldingState(rawValue: try row.decode(column: "state", as: String.self)) ?? .unknown
            holdings[try row.decode(column: "key_id", as: String.self), default: [:]][
                try row.decode(column: "hsm", as: String.self)] = .init(
                    state: state,
                    firstSeenAt: state == .present
                        ? Date(timeIntervalSince1970: try row.decode(column: "first_seen_at", as: Double.self)) : nil)
        }
        return try await readConnection().raw("SELECT * FROM keys ORDER BY label, ckaid, object_class").all().map {
            row in
            let first = try row.decode(column: "first_seen_at", as: Double.self)
            let everywhere = try row.decode(column: "present_everywhere_at", as: Double?.self)
            return KeyTimelineEntry(
                class: try row.decode(column: "object_class", as: String.self),
                label: try row.decode(column: "label", as: String.self),
                id: try row.decode(column: "ckaid", as: String.self),
                fingerprint: try row.decode(column: "fingerprint", as: String?.self),
                firstSeenAt: Date(timeIntervalSince1970: first),
                presentEverywhereAt: everywhere.map(Date.init(timeIntervalSince1970:)),
                syncLagSeconds: everywhere.map { max(0, $0 - first) },
                hsms: holdings[try row.decode(column: "key_id", as: String.self)] ?? [:])
        }
    }

    /// When the oldest key that is not yet on every HSM was first seen (`nil`: every key is everywhere).
    public func oldestKeyNotEverywhere() async throws -> Date? {
        let row = try await readConnection().raw(
            "SELECT MIN(first_seen_at) AS oldest FROM keys WHERE present_everywhere_at IS NULL"
        ).first()
        return try row?.decode(column: "oldest", as: Double?.self).map(Date.init(timeIntervalSince1970:))
    }

    static func identity(_ entry: KeyTimelineEntry) -> KeyIdentity {
        KeyIdentity(objectClass: ObjectKind(rawValue: entry.class), label: entry.label, id: entry.id)
    }

    /// The last observation, rebuilt from the database once per process.
    private func loadTimelineCache() async throws -> [String: ObservedKey] {
        if let timelineCache { return timelineCache }
        var cache: [String: ObservedKey] = [:]
        for entry in try await keyTimeline() {
            let identity = Self.identity(entry)
            cache[ObservedKey.keyID(identity)] = ObservedKey(
                identity: identity, fingerprint: entry.fingerprint, holdings: entry.hsms.mapValues(\.state))
        }
        timelineCache = cache
        return cache
    }
}
