import HSMSyncModel
import SQLKit

/// The leader lease as the database holds it.
public struct LeaseRecord: Sendable, Hashable {
    /// The instance that holds (or last held) it.
    public let holder: String
    /// Incremented at every change of holder, and when a lapsed lease is taken again.
    public let epoch: Int
    /// When it lapses, by the database's clock (Unix seconds).
    public let expiresAt: Double
    /// The database's clock when this was read.
    public let databaseNow: Double

    /// Whether it had lapsed when read.
    public var lapsed: Bool { expiresAt <= databaseNow }
}

extension StateStore {
    static let leaseName = "service"

    /// Takes or renews the lease for `instance`, valid for `seconds` by the database's clock, in one
    /// statement (a row lock serialises instances claiming at once).
    ///
    /// The holder renews by naming the epoch it holds: the epoch stays. Anyone may take a lapsed
    /// lease, the holder included: the epoch goes up, so everything the old term's epoch fenced is
    /// refused from then on.
    ///
    /// - Parameter epoch: the epoch this instance holds (`nil`: none).
    /// - Returns: the lease after the claim; it is this instance's when `holder == instance`.
    public func claimLease(instance: String, epoch: Int?, seconds: Double) async throws -> LeaseRecord {
        try await exclusively {
            let now = self.now
            let held = epoch ?? -1
            try await database.raw(
                """
                INSERT INTO leader_lease (name, holder, epoch, expires_at) \
                VALUES (\(bind: Self.leaseName), \(bind: instance), 1, \(unsafeRaw: now) + \(bind: seconds)) \
                ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, \
                epoch = CASE WHEN leader_lease.holder = excluded.holder AND leader_lease.epoch = \(bind: held) \
                AND leader_lease.expires_at > \(unsafeRaw: now) THEN leader_lease.epoch ELSE leader_lease.epoch + 1 END, \
                expires_at = excluded.expires_at \
                WHERE (leader_lease.holder = excluded.holder AND leader_lease.epoch = \(bind: held)) \
                OR leader_lease.expires_at <= \(unsafeRaw: now)
                """
            ).run()
            guard let lease = try await self.readLease(on: database) else {
                throw StateStoreError.cannotOpen(location.description, reason: "the leader lease row is missing")
            }
            return lease
        }
    }

    /// Whether `instance` still holds the lease at `epoch`, with at least `margin` seconds left by
    /// the database's clock: the fence every write of the leader passes first.
    public func confirmLease(instance: String, epoch: Int, margin: Double) async throws -> Bool {
        try await readConnection().raw(
            """
            SELECT epoch FROM leader_lease WHERE name = \(bind: Self.leaseName) AND holder = \(bind: instance) \
            AND epoch = \(bind: epoch) AND expires_at > \(unsafeRaw: now) + \(bind: margin)
            """
        ).first() != nil
    }

    /// Lets the lease lapse now, if `instance` holds it at `epoch` (a clean stop: another instance
    /// takes over at its next claim instead of after the lease time).
    public func releaseLease(instance: String, epoch: Int) async throws {
        try await exclusively {
            try await database.raw(
                """
                UPDATE leader_lease SET expires_at = \(unsafeRaw: now) \
                WHERE name = \(bind: Self.leaseName) AND holder = \(bind: instance) AND epoch = \(bind: epoch)
                """
            ).run()
        }
    }

    /// The lease as it stands (`nil`: never taken).
    public func lease() async throws -> LeaseRecord? {
        try await readLease(on: try await readConnection())
    }

    private func readLease(on database: any SQLDatabase) async throws -> LeaseRecord? {
        let query: SQLQueryString = """
            SELECT holder, epoch, expires_at, \(unsafeRaw: now) AS database_now FROM leader_lease \
            WHERE name = \(bind: Self.leaseName)
            """
        guard let row = try await database.raw(query).first() else { return nil }
        return LeaseRecord(
            holder: try row.decode(column: "holder", as: String.self),
            epoch: try row.decode(column: "epoch", as: Int.self),
            expiresAt: try row.decode(column: "expires_at", as: Double.self),
            databaseNow: try row.decode(column: "database_now", as: Double.self))
    }
}
