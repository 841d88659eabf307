import Glibc
import HSMSyncCore
import HSMSyncModel
import SLIP39
import SecureMemory
import SignedLog

/// Shows new shares on the controlling terminal, one custodian at a time, clearing the screen (and
/// its scroll-back) in between and waiting for Enter.
///
/// Share words go straight from their locked buffer to `/dev/tty`: never to stdout (which may be a
/// log file), never through a `String`. An interrupt (Ctrl-C) clears the screen before exiting.
final class CustodianScreen {
    /// Why the shares could not be shown.
    struct Failure: CategorizedError {
        let description: String
        var category: FailureCategory { .invalidInput }
    }

    private let terminal: Int32

    /// Opens the controlling terminal.
    ///
    /// - Throws: ``Failure`` when there is none (`--show` needs a person at a terminal).
    init() throws {
        terminal = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY)
        guard terminal >= 0 else {
            throw Failure(description: "--show needs a terminal, and there is none; use --out-dir DIR")
        }
    }

    deinit {
        close(terminal)
    }

    /// Shows every share of `generated`, custodian by custodian.
    func show(_ generated: GeneratedTransportKey, fleet: String) throws {
        ScreenGuard.install(terminal)
        defer { ScreenGuard.remove() }
        let count = generated.shares.count
        for (index, share) in generated.shares.enumerated() {
            let number = index + 1
            clear()
            write(
                "hsmsync transport create: custodian \(number) of \(count)\n\n"
                    + "Only custodian \(number) may look at the screen now.\n"
                    + "Press Enter to show share \(number).")
            try waitForEnter()
            clear()
            write(ShareFilePlan.notes(for: share, number: number, generated: generated, fleet: fleet))
            write("\n")
            writeWords(share.mnemonic())
            write(
                "\nWrite all the words down, in order, and check them. Then press Enter to clear the screen"
                    + (number < count ? " for custodian \(number + 1)." : "."))
            try waitForEnter()
            clear()
        }
        write("All \(count) shares were shown. Installing the key…\n")
    }

    /// Writes the words numbered, four to a line, from the locked buffer.
    private func writeWords(_ words: consuming SecretBytes) {
        words.withUnsafeBytes { bytes in
            var number = 1
            var start = 0
            var index = 0
            while index <= bytes.count {
                if index == bytes.count || bytes[index] == 0x20 {
                    if index > start {
                        let prefix = (number < 10 ? "   " : "  ") + "\(number). "
                        write(prefix)
                        _ = Glibc.write(terminal, bytes.baseAddress! + start, index - start)
                        let padding = max(10 - (index - start), 1)
                        write(number % 4 == 0 ? "\n" : String(repeating: " ", count: padding))
                        number += 1
                    }
                    start = index + 1
                }
                index += 1
            }
            if (number - 1) % 4 != 0 { write("\n") }
        }
    }

    private func write(_ text: String) {
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let written = bytes.withUnsafeBytes { Glibc.write(terminal, $0.baseAddress, $0.count) }
            if written < 0 {
                if errno == EINTR { continue }
                return
            }
            bytes = bytes.dropFirst(written)
        }
    }

    /// Clears the screen and the scroll-back, and homes the cursor.
    private func clear() {
        write(ScreenGuard.clearSequence)
    }

    /// Reads up to the end of a line.
    private func waitForEnter() throws {
        var byte: UInt8 = 0
        while true {
            let result = Glibc.read(terminal, &byte, 1)
            if result == 1 && (byte == 0x0A || byte == 0x0D) { return }
            if result == 0 || (result < 0 && errno != EINTR) {
                clear()
                throw Failure(description: "the terminal closed while the shares were shown; the key was not installed")
            }
        }
    }
}

/// Clears the custodian screen if the ceremony is interrupted while a share is shown.
private enum ScreenGuard {
    static let clearSequence = "\u{1B}[3J\u{1B}[H\u{1B}[2J"
    // Read by the signal handler only; set before the handler is installed, cleared after removal.
    nonisolated(unsafe) static var terminal: Int32 = -1

    static func install(_ descriptor: Int32) {
        terminal = descriptor
        signal(SIGINT, handler)
        signal(SIGTERM, handler)
        signal(SIGHUP, handler)
    }

    static func remove() {
        signal(SIGINT, SIG_DFL)
        signal(SIGTERM, SIG_DFL)
        signal(SIGHUP, SIG_DFL)
        terminal = -1
    }

    /// Async-signal-safe: `write` and `_exit` only.
    private static let handler: @convention(c) (Int32) -> Void = { signalNumber in
        let sequence: StaticString = "\u{1B}[3J\u{1B}[H\u{1B}[2J\nInterrupted: the key was NOT installed.\n"
        if ScreenGuard.terminal >= 0 {
            _ = Glibc.write(ScreenGuard.terminal, sequence.utf8Start, sequence.utf8CodeUnitCount)
        }
        _exit(128 + signalNumber)
    }
}
