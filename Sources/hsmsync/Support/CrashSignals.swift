import Glibc

/// Makes a crash signal always end the process (issue 17 item 6b).
///
/// The Swift runtime's backtracer handles SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP and SIGABRT,
/// prints "Program crashed" and returns. For a real fault the faulting instruction runs again and
/// the process dies; for a signal sent with `kill` nothing faults again, so a reconcile carried on
/// and could report "parity" with exit 0.
///
/// The handler installed here tells the two apart by `si_code`. A signal another process sent is not
/// a crash of ours: no backtrace (the backtracer would be left reading a process that is gone), the
/// default action is restored and the signal raised again, so the process dies of it. A real fault, or
/// a signal this process sent itself (`abort`), goes to the previous handler first, so real crashes
/// keep their backtrace; then the default action is restored and the process dies of the signal.
enum CrashSignals {
    static let signals: [Int32] = [SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP, SIGABRT]

    /// Installs the handler for every crash signal. Called once, first thing in `main`.
    static func install() {
        for signal in signals {
            var action = sigaction()
            action.__sigaction_handler.sa_sigaction = crashSignalHandler
            // On the alternate stack when the runtime set one up: a stack overflow must reach the handler too.
            action.sa_flags = SA_SIGINFO | SA_ONSTACK
            sigemptyset(&action.sa_mask)
            sigaction(signal, &action, previousActions + Int(signal))
        }
    }
}

/// The actions in place before ``CrashSignals/install()``, indexed by signal number. A raw buffer
/// written once before any handler can run, so the handler reads it without locks or reference
/// counting (neither is async-signal-safe).
private nonisolated(unsafe) let previousActions: UnsafeMutablePointer<sigaction> = {
    let count = 65
    let buffer = UnsafeMutablePointer<sigaction>.allocate(capacity: count)
    buffer.initialize(repeating: sigaction(), count: count)
    return buffer
}()

/// Only async-signal-safe calls: the previous handler (the runtime's backtracer is written to run
/// here), `getpid`, `sigaction`, `sigprocmask` and `raise`.
private func crashSignalHandler(
    _ signal: Int32, _ info: UnsafeMutablePointer<siginfo_t>?, _ context: UnsafeMutableRawPointer?
) {
    let code = info?.pointee.si_code ?? 0
    // `si_code` ≤ 0: sent by kill(2), tgkill(2) or sigqueue(3), with the sender's pid.
    let sentByAnother = code <= 0 && info.map { $0.pointee._sifields._kill.si_pid != getpid() } ?? true
    if !sentByAnother {
        let previous = previousActions[Int(signal)]
        if previous.sa_flags & SA_SIGINFO != 0 {
            if let handler = previous.__sigaction_handler.sa_sigaction {
                handler(signal, info, context)
            }
        } else if let handler = previous.__sigaction_handler.sa_handler {
            // SIG_DFL is null; SIG_IGN is 1: neither is a function to call.
            if unsafeBitCast(handler, to: Int.self) > 1 { handler(signal) }
        }
    }
    var fallback = sigaction()
    fallback.__sigaction_handler.sa_handler = nil
    sigemptyset(&fallback.sa_mask)
    sigaction(signal, &fallback, nil)
    var unblocked = sigset_t()
    sigemptyset(&unblocked)
    sigaddset(&unblocked, signal)
    sigprocmask(SIG_UNBLOCK, &unblocked, nil)
    // A real fault (si_code > 0) happens again when the instruction runs again, now with the default
    // action; anything else is raised again.
    if code <= 0 { raise(signal) }
}
