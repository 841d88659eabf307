import Foundation
import SQLKit

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
}
