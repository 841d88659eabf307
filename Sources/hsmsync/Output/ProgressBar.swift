import Foundation
import HSMSyncCore
import Synchronization

/// A progress line on stderr for long scans, drawn only when stderr is a terminal (never in logs,
/// never on stdout, so `--json` output is untouched).
final class ProgressBar: Sendable {
    private struct State {
        var perHSM: [String: (done: Int, total: Int)] = [:]
        /// What is counted: objects read while scanning, copies once a reconcile has planned them.
        var unit = "objects on"
        var lastDraw = Date.distantPast
        var drawn = false
    }

    private let state = Mutex(State())
    private let enabled: Bool

    init(enabled: Bool = Console.stderrIsTerminal) {
        self.enabled = enabled
    }

    /// Records one HSM's progress; redraws at most ten times a second.
    func update(hsm: String, done: Int, total: Int) {
        guard enabled else { return }
        let line: String? = state.withLock { state in
            state.perHSM[hsm] = (done, total)
            let now = Date()
            guard now.timeIntervalSince(state.lastDraw) >= 0.1 || done == total else { return nil }
            state.lastDraw = now
            state.drawn = true
            let done = state.perHSM.values.reduce(0) { $0 + $1.done }
            let total = max(state.perHSM.values.reduce(0) { $0 + $1.total }, 1)
            let width = 30
            let filled = min(width, done * width / total)
            let bar = String(repeating: "#", count: filled) + String(repeating: " ", count: width - filled)
            return "\r[\(bar)] \(done * 100 / total)%  \(done)/\(total) \(state.unit) \(state.perHSM.count) HSM(s)"
        }
        if let line { Console.errorRaw(line) }
    }

    /// A sink for a use case's events: scans draw objects per HSM, a reconcile's copies per
    /// destination HSM replace them once planned. Runs the scan test hook (``TestHooks``) on the
    /// scanning thread.
    var events: EngineEvents {
        EngineEvents { event in
            switch event {
            case .scanProgress(let hsm, let read, let found):
                self.update(hsm: hsm, done: read, total: found)
                TestHooks.scanProgress(hsm: hsm, objectsRead: read)
            case .copiesPlanned(_, let destinations):
                self.state.withLock { state in
                    state.perHSM = destinations.mapValues { (0, $0) }
                    state.unit = "copies to"
                    state.lastDraw = .distantPast  // the first copy shows the new count at once
                }
            case .copyFinished(let copy):
                let done = self.state.withLock { ($0.perHSM[copy.destination]?.done ?? 0) + 1 }
                let total = self.state.withLock { $0.perHSM[copy.destination]?.total ?? copy.total }
                self.update(hsm: copy.destination, done: done, total: total)
            case .scanFinished, .scanFailed:
                break
            }
        }
    }

    /// Erases the line.
    func finish() {
        guard enabled else { return }
        let drawn = state.withLock { $0.drawn }
        if drawn { Console.errorRaw("\r\u{1B}[2K") }
    }
}
