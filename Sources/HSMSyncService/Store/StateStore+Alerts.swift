public import Foundation
import SQLKit

/// One alert and how its delivery went.
public struct AlertDeliveryRecord: Sendable, Hashable, Codable {
    public let id: String
    public let target: String
    public let event: String
    /// `pending`, `delivered` or `failed` (every attempt failed).
    public let state: String
    public let attempts: Int
    public let lastError: String?
    public let createdAt: Date
    public let deliveredAt: Date?
}

extension StateStore {
    func recordAlert(id: String, target: String, event: String, body: [UInt8], createdAt: Date) async throws {
        try await exclusively {
            try await database.raw(
                """
                INSERT INTO alert_deliveries (id, target, event, body, state, attempts, created_at) VALUES (\
                \(bind: id), \(bind: target), \(bind: event), \(bind: String(decoding: body, as: UTF8.self)), 'pending', 0, \
                \(bind: createdAt.timeIntervalSince1970))
                """
            ).run()
        }
    }

    func alertDelivered(id: String, attempts: Int, at date: Date) async throws {
        try await exclusively {
            try await database.raw(
                """
                UPDATE alert_deliveries SET state = 'delivered', attempts = \(bind: attempts), \
                delivered_at = \(bind: date.timeIntervalSince1970) WHERE id = \(bind: id)
                """
            ).run()
        }
    }

    func alertFailed(id: String, attempts: Int, error: String, final: Bool) async throws {
        try await exclusively {
            try await database.raw(
                """
                UPDATE alert_deliveries SET state = \(bind: final ? "failed" : "pending"), attempts = \(bind: attempts), \
                last_error = \(bind: error) WHERE id = \(bind: id)
                """
            ).run()
        }
    }

    /// Alert deliveries, newest first.
    public func alertDeliveries(limit: Int) async throws -> [AlertDeliveryRecord] {
        try await reader.raw(
            "SELECT * FROM alert_deliveries ORDER BY created_at DESC LIMIT \(bind: max(1, min(limit, 500)))"
        ).all().map { row in
            AlertDeliveryRecord(
                id: try row.decode(column: "id", as: String.self),
                target: try row.decode(column: "target", as: String.self),
                event: try row.decode(column: "event", as: String.self),
                state: try row.decode(column: "state", as: String.self),
                attempts: try row.decode(column: "attempts", as: Int.self),
                lastError: try row.decode(column: "last_error", as: String?.self),
                createdAt: Date(timeIntervalSince1970: try row.decode(column: "created_at", as: Double.self)),
                deliveredAt: try row.decode(column: "delivered_at", as: Double?.self).map(
                    Date.init(timeIntervalSince1970:)))
        }
    }
}
