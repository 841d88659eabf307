import Foundation
import HSMSyncModel

/// Reads back reports the service stored as the command line's JSON (RFC 3339 dates).
enum ReportDecoding {
    static func audit(_ bytes: [UInt8]) throws -> AuditReport {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let container = try decoder.singleValueContainer()
            let text = try container.decode(String.self)
            guard let parsed = RFC3339.parse(text) else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "not an RFC 3339 time")
            }
            return Date(timeIntervalSince1970: Double(parsed.seconds) + Double(parsed.nanoseconds) / 1e9)
        }
        return try decoder.decode(AuditReport.self, from: Data(bytes))
    }
}
