extension AuditReport {
    /// Whether the audit's `audit.parity` entry was written to the fleet's signed log.
    ///
    /// The log is part of the job: an audit that found parity but could not be recorded is a failed
    /// run, so its report says `error` everywhere (JSON, text, metrics, exit code) and this says why.
    public struct Record: Sendable, Codable, Hashable {
        /// `recorded`, or `failed` (nothing was appended, or no checkpoint could be signed).
        public let state: State
        /// Why the entry could not be recorded (never a secret).
        public let error: String?
        /// The failure's category (`invalid-input`, `runtime`, `integrity`), which decides the exit code.
        public let errorCategory: String?

        public enum State: String, Sendable, Codable {
            case recorded, failed
        }

        /// The entry is in the log and a checkpoint signs it.
        public static let recorded = Record(state: .recorded, error: nil, errorCategory: nil)

        /// The entry could not be recorded, for `error`.
        public static func failed(_ error: any Error) -> Record {
            let category = (error as? any CategorizedError)?.category ?? .runtime
            return Record(state: .failed, error: "\(error)", errorCategory: category.reportName)
        }

        /// The category of the failure, when the entry could not be recorded.
        public var failureCategory: FailureCategory? {
            guard state == .failed else { return nil }
            switch errorCategory {
            case "invalid-input": return .invalidInput
            case "integrity": return .integrity
            default: return .runtime
            }
        }
    }

    /// The report with the outcome of recording it; a report that could not be recorded is an `error`.
    public func with(record: Record) -> AuditReport {
        var copy = self
        copy.record = record
        if record.state == .failed { copy.status = .error }
        return copy
    }
}
