import Foundation
public import HSMSyncModel
import SignedLog

/// `hsmsync audit`: every HSM scanned in parallel, then compared (DESIGN.md role semantics).
public struct ParityAudit: Sendable {
    public let scanner: InventoryScanner
    public let strictPolicy: Bool

    public init(scanner: InventoryScanner, strictPolicy: Bool = false) {
        self.scanner = scanner
        self.strictPolicy = strictPolicy
    }

    /// Audits the whole fleet. An unreachable HSM is a finding; all the others are still audited.
    public func run(_ fleet: Fleet, events: EngineEvents = .ignored) async -> AuditReport {
        let started = ContinuousClock.now
        let generatedAt = Date()
        let scans = await scanner.scan(fleet.hsms, of: fleet, events: events)
        let elapsed = ContinuousClock.now - started
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return DriftEngine(fleet: fleet, strictPolicy: strictPolicy)
            .evaluate(scans, generatedAt: generatedAt, durationSeconds: seconds)
    }

    /// Starts the audit in the background: its events as an `AsyncSequence`, and its report.
    public func start(_ fleet: Fleet) -> EngineRun<AuditReport, Never> {
        EngineRun.start { events in await run(fleet, events: events) }
    }
}
