import Foundation
import Glibc
import HSMSyncTesting
import Testing

/// Issue 17 item 6b: a crash signal sent with `kill` must end the run by that signal. The Swift
/// runtime's backtracer prints "Program crashed" and returns, and a process that was not really
/// faulting then carried on (a reconcile to exit 0 "parity").
@Suite("Crash signals end the process")
struct CrashSignalTests {
    /// Whether a thread of `pid` sleeps in the kernel opening a FIFO (no writer yet).
    static func blockedOnFIFO(_ pid: Int32) -> Bool {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
        return tasks.contains { task in
            let wchan = (try? String(contentsOfFile: "/proc/\(pid)/task/\(task)/wchan", encoding: .utf8)) ?? ""
            return wchan.contains("wait_for_partner") || wchan.contains("fifo_open")
        }
    }

    @Test(
        "kill -SEGV/-BUS/-ILL/-FPE/-TRAP/-ABRT of a running hsmsync: the process dies of the signal, leaving no backtracer behind",
        arguments: [SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP, SIGABRT])
    func killedBySignal(_ signal: Int32) async throws {
        // `backup verify` of a FIFO blocks in open(2) until a writer comes: a run paused mid-command.
        let directory = try TemporaryDirectory(prefix: "crash-signal")
        let fifo = directory.path("bundle.hsb")
        #expect(mkfifo(fifo, 0o600) == 0)
        let process = Process()
        process.executableURL = CommandRunner.hsmsync
        process.arguments = ["backup", "verify", fifo]
        process.standardOutput = FileHandle.nullDevice
        // A file, not a pipe: a long backtrace must never block the child on a full pipe.
        let errorPath = directory.path("stderr")
        _ = FileManager.default.createFile(atPath: errorPath, contents: nil)
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errorPath))
        try process.run()
        let started = Date()
        while process.isRunning && !Self.blockedOnFIFO(process.processIdentifier)
            && Date().timeIntervalSince(started) < 30
        {
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(process.isRunning && Self.blockedOnFIFO(process.processIdentifier), "hsmsync never reached the FIFO")
        kill(process.processIdentifier, signal)
        while process.isRunning && Date().timeIntervalSince(started) < 60 {
            try await Task.sleep(for: .milliseconds(20))
        }
        if process.isRunning {
            // The signal was swallowed: release the open so the process can finish and be judged.
            let writer = open(fifo, O_WRONLY | O_NONBLOCK)
            if writer >= 0 { close(writer) }
            while process.isRunning && Date().timeIntervalSince(started) < 90 {
                try await Task.sleep(for: .milliseconds(20))
            }
        }
        // Never wait without a bound: a stuck child fails this test, it does not hang the suite.
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        let stderr = (try? String(contentsOfFile: errorPath, encoding: .utf8)) ?? ""
        #expect(
            process.terminationReason == .uncaughtSignal && process.terminationStatus == signal,
            "signal \(signal): ended with \(process.terminationReason == .exit ? "exit" : "signal") \(process.terminationStatus): \(stderr.prefix(400))"
        )
    }
}
