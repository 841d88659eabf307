public import HSMSyncModel

/// A step of a drill failed inside the throwaway token: the message names the step, the category
/// stays the cause's (a bad share is invalid input, an HSM failure a runtime failure, a check value
/// unlike the bundle's an integrity failure).
public struct BackupDrillStepFailed: CategorizedError {
    public let operation: String
    public let cause: any Error

    public init(operation: String, cause: any Error) {
        self.operation = operation
        self.cause = cause
    }

    public var category: FailureCategory { (cause as? any CategorizedError)?.category ?? .runtime }

    public var description: String { "drill: \(operation) failed: \(cause)" }
}
