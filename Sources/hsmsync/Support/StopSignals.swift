import Foundation
import Glibc
import HSMSyncCore
import Synchronization

/// SIGINT (Ctrl-C) and SIGTERM as a ``StopRequest``, for `reconcile --apply` (issue 13 item 3): the
/// first one lets the copy in flight finish, journaled and logged, then the run stops and prints
/// what was done and what was left, and exits 3. A second one ends the process at once, as the
/// signal always did: the next run completes or rolls back the copy in flight (the journal).
enum StopSignals {
    static let signals: [Int32] = [SIGINT, SIGTERM]

    /// Installs the handlers and returns the request they feed. A watcher thread forwards a signal
    /// to the request and says on stderr what happens now (neither is async-signal-safe; the
    /// handler only sets an atomic).
    static func install() -> StopRequest {
        let request = StopRequest()
        _ = received.load(ordering: .relaxed)  // initialised before any handler can run
        for signal in signals {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = stopSignalHandler
            action.sa_flags = SA_RESTART
            sigemptyset(&action.sa_mask)
            sigaction(signal, &action, nil)
        }
        let watcher = Thread {
            while true {
                let signal = received.load(ordering: .acquiring)
                if signal != 0 {
                    let name = signal == SIGTERM ? "SIGTERM" : "SIGINT"
                    request.request(name)
                    Console.error(
                        "\nhsmsync: \(name): stopping after the copy in flight; what was done and what is left follows "
                            + "(\(name) again stops at once: the next run then completes or rolls back that copy)")
                    return
                }
                usleep(20_000)
            }
        }
        watcher.start()
        return request
    }
}

/// The first stop signal received (0: none yet).
private let received = Atomic<Int32>(0)

/// Async-signal-safe: an atomic exchange; on a second signal, the default action and `raise`.
private func stopSignalHandler(_ signal: Int32) {
    guard !received.compareExchange(expected: 0, desired: signal, ordering: .acquiringAndReleasing).exchanged else {
        return
    }
    var fallback = sigaction()
    fallback.__sigaction_handler.sa_handler = nil
    sigemptyset(&fallback.sa_mask)
    sigaction(signal, &fallback, nil)
    raise(signal)
}
