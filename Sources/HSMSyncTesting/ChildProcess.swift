import Foundation
import Glibc

/// One child process, spawned with `posix_spawn` and reaped with `waitpid`, its output read on
/// threads of its own.
///
/// Not `Foundation.Process`: on Linux it learns that a child exited from a socket the child
/// inherits, and its `waitUntilExit()` spins on the calling thread's run loop. Called from the
/// cooperative pool by hundreds of parallel tests, that parked threads for good on children that
/// had long exited, and the whole pass hung. Here the kernel says when the child is gone, our pipes
/// are close-on-exec (no other child inherits them, so end-of-file comes when this child exits),
/// and every wait has a bound. swift-subprocess is async only; the tests call this synchronously.
enum ChildProcess {
    struct Outcome {
        var status: Int32
        var signalled: Bool
        var stdout: Data
        var stderr: Data
        /// Why the outcome is incomplete (the child was killed for overrunning its time, or its
        /// output never ended), for the test's failure message.
        var notes: [String]
    }

    static func run(
        _ executable: String, _ arguments: [String], environment: [String: String], directory: String?,
        input: Data?, timeout: Duration
    ) throws -> Outcome {
        let stdin = try pipe(), stdout = try pipe(), stderr = try pipe()
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, stdin.read, 0)
        posix_spawn_file_actions_adddup2(&actions, stdout.write, 1)
        posix_spawn_file_actions_adddup2(&actions, stderr.write, 2)
        _ = GNU.addCloseFrom(&actions, 3)
        if let directory { _ = GNU.addChangeDirectory(&actions, directory) }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // The test process ignores SIGPIPE; the child starts with the default, as from a shell.
        var defaults = sigset_t()
        sigemptyset(&defaults)
        sigaddset(&defaults, SIGPIPE)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        var mask = sigset_t()
        sigemptyset(&mask)
        posix_spawnattr_setsigmask(&attributes, &mask)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))

        let argv = ([executable] + arguments).map { strdup($0) }
        let envp = environment.map { strdup("\($0.key)=\($0.value)") }
        defer { (argv + envp).forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, executable, &actions, &attributes, argv + [nil], envp + [nil])
        for descriptor in [stdin.read, stdout.write, stderr.write] { close(descriptor) }
        guard spawned == 0 else {
            for descriptor in [stdin.write, stdout.read, stderr.read] { close(descriptor) }
            throw POSIXError(POSIXErrorCode(rawValue: spawned) ?? .EIO)
        }

        let out = Reader(stdout.read), err = Reader(stderr.read)
        if let input {
            _ = input.withUnsafeBytes { write(stdin.write, $0.baseAddress, $0.count) }
        }
        close(stdin.write)

        var notes: [String] = []
        let reaper = Reaper(pid)
        if !reaper.wait(timeout) {
            Glibc.kill(pid, SIGKILL)
            notes.append("killed with SIGKILL after running for \(timeout)")
            guard reaper.wait(.seconds(60)) else {
                notes.append("it had not exited 60 s after SIGKILL")
                return Outcome(status: SIGKILL, signalled: true, stdout: out.data, stderr: err.data, notes: notes)
            }
        }
        let status = reaper.status
        for (name, reader) in [("stdout", out), ("stderr", err)] where !reader.wait(.seconds(10)) {
            notes.append("its \(name) was still open 10 s after it exited (a process it started holds it)")
        }
        return Outcome(
            status: WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status), signalled: WIFSIGNALED(status),
            stdout: out.data, stderr: err.data, notes: notes)
    }

    private static func pipe() throws -> (read: Int32, write: Int32) {
        var descriptors: [Int32] = [0, 0]
        guard GNU.pipe2(&descriptors, O_CLOEXEC) == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        return (descriptors[0], descriptors[1])
    }

    /// Reads a descriptor to its end on a thread of its own, then closes it.
    private final class Reader: @unchecked Sendable {
        // Invariant: `buffer` is only touched with `lock` held.
        private let lock = NSLock()
        private var buffer = Data()
        private let done = DispatchSemaphore(value: 0)

        init(_ descriptor: Int32) {
            Thread.detachNewThread { [self] in
                var chunk = [UInt8](repeating: 0, count: 65_536)
                while true {
                    let count = read(descriptor, &chunk, chunk.count)
                    if count < 0 && errno == EINTR { continue }
                    if count <= 0 { break }
                    lock.withLock { buffer.append(contentsOf: chunk[0..<count]) }
                }
                close(descriptor)
                done.signal()
            }
        }

        /// Whether the end was reached within `timeout`.
        func wait(_ timeout: Duration) -> Bool {
            done.wait(timeout: .now() + timeout.seconds) == .success
        }

        var data: Data { lock.withLock { buffer } }
    }

    /// Waits for the child on a thread of its own.
    private final class Reaper: @unchecked Sendable {
        // Invariants: `exitStatus` is written once, before `done` is signalled, and read after;
        // `finished` belongs to the one thread that waits.
        private var exitStatus: Int32 = 0
        private let done = DispatchSemaphore(value: 0)
        private var finished = false

        init(_ pid: pid_t) {
            Thread.detachNewThread { [self] in
                var status: Int32 = 0
                while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
                exitStatus = status
                done.signal()
            }
        }

        /// Whether the child was reaped within `timeout`.
        func wait(_ timeout: Duration) -> Bool {
            if finished { return true }
            finished = done.wait(timeout: .now() + timeout.seconds) == .success
            return finished
        }

        var status: Int32 { exitStatus }
    }
}

/// The GNU extensions this needs, which Swift's Glibc module (built without `_GNU_SOURCE`) does not
/// declare; glibc 2.34 and later has them all.
private enum GNU {
    typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
    typealias AddChangeDirectory =
        @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>) -> Int32
    typealias Pipe2 = @convention(c) (UnsafeMutablePointer<Int32>, Int32) -> Int32

    static let addCloseFrom = unsafeBitCast(symbol("posix_spawn_file_actions_addclosefrom_np"), to: AddCloseFrom.self)
    static let addChangeDirectory = unsafeBitCast(
        symbol("posix_spawn_file_actions_addchdir_np"), to: AddChangeDirectory.self)
    static let pipe2 = unsafeBitCast(symbol("pipe2"), to: Pipe2.self)

    private static func symbol(_ name: String) -> UnsafeMutableRawPointer {
        guard let address = dlsym(UnsafeMutableRawPointer(bitPattern: 0), name) else {
            fatalError("glibc has no \(name) (2.34 or later is needed)")
        }
        return address
    }
}

// Glibc's wait-status macros are not imported into Swift.
private func WIFSIGNALED(_ status: Int32) -> Bool { status & 0x7f != 0 && status & 0x7f != 0x7f }
private func WTERMSIG(_ status: Int32) -> Int32 { status & 0x7f }
private func WEXITSTATUS(_ status: Int32) -> Int32 { (status >> 8) & 0xff }
