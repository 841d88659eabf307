public import HSMSyncModel
import SignedLog

extension AuditTrail {
    /// Records a finished operation with its public result (a `Codable` record that holds no
    /// secret) as the entry's outputs.
    public func recordOutcome(_ action: AuditAction, _ result: some Encodable, detail: [String: JSONValue] = [:])
        async throws
    {
        guard isEnabled else { return }
        let outputs = try JSONValue(encoding: result).objectValue ?? [:]
        try await record(action, outputs: outputs, detail: detail)
    }

    /// Records an operation that failed: `refused` for invalid input (nothing was changed), else
    /// `failed`, with the error's description (errors never carry secrets). A log that cannot take
    /// the entry must not hide the original error, so recording problems are returned, not thrown.
    public func recordFailure(_ action: AuditAction, hsms: [String], error: any Error) async -> (any Error)? {
        guard isEnabled else { return nil }
        let refused = (error as? any CategorizedError)?.category == .invalidInput
        do {
            try await record(
                action, outputs: ["hsms": .array(hsms.map { .string($0) })], result: refused ? .refused : .failed,
                detail: ["error": .string(String(describing: error))])
            try await checkpoint()
            return nil
        } catch {
            return error
        }
    }
}
