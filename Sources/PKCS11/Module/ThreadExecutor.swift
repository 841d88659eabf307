import Dispatch
import Foundation
import Synchronization

/// A serial executor that runs every job on one dedicated thread.
///
/// PKCS#11 calls block (a SoftHSM2 token write takes milliseconds, a network HSM far longer).
/// An actor whose `unownedExecutor` is a `ThreadExecutor` keeps those calls off Swift's
/// cooperative pool, and gives each HSM its own thread so several are worked in parallel.
public final class ThreadExecutor: SerialExecutor {
    private struct State {
        var jobs: [UnownedJob] = []
        var isShutDown = false
    }

    private let state = Mutex(State())
    private let wakeUp = DispatchSemaphore(value: 0)
    private let threadID = Mutex<pthread_t?>(nil)
    private let started = DispatchSemaphore(value: 0)

    /// Starts the thread. It keeps the executor alive until ``shutdown()``.
    /// - Parameter name: the thread's name, shown by debuggers and `top -H`.
    public init(name: String) {
        let thread = Thread { [self] in
            // Linux applies a thread name only from inside the thread, and keeps 15 bytes of it.
            Thread.current.name = String(name.utf8.suffix(15)) ?? name
            threadID.withLock { $0 = pthread_self() }
            started.signal()
            self.run()
        }
        thread.stackSize = 4 << 20
        thread.start()
        started.wait()
    }

    /// Whether the caller is running on this executor's thread.
    public var isCurrentThread: Bool {
        threadID.withLock { id in id.map { pthread_equal($0, pthread_self()) != 0 } ?? false }
    }

    private func run() {
        let unowned = asUnownedSerialExecutor()
        while true {
            wakeUp.wait()
            let next: UnownedJob?? = state.withLock { state in
                if !state.jobs.isEmpty {
                    return .some(state.jobs.removeFirst())
                }
                return state.isShutDown ? .none : .some(nil)
            }
            switch next {
            case .none:
                return
            case .some(.none):
                continue
            case .some(.some(let job)):
                job.runSynchronously(on: unowned)
            }
        }
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        state.withLock { $0.jobs.append(job) }
        wakeUp.signal()
    }

    public func asUnownedSerialExecutor() -> UnownedSerialExecutor {
        UnownedSerialExecutor(ordinary: self)
    }

    /// Lets the thread finish the queued jobs and exit. Jobs enqueued afterwards still run first.
    public func shutdown() {
        state.withLock { $0.isShutDown = true }
        wakeUp.signal()
    }
}
