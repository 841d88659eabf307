import Glibc
import HSMSyncModel
import SecureMemory
import SignedLog

/// Reads a secret typed at the controlling terminal with echo turned off, straight into a
/// ``SecretBytes`` (no `String` ever holds it).
enum SecretPrompt {
    /// Why no secret could be read.
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// Shows `prompt` on the terminal and reads one line with echo off.
    ///
    /// - Throws: ``Failure`` when there is no terminal (a `prompt` PIN source in a cron job) or
    ///   the line is empty or too long.
    static func read(prompt: String, maximumLength: Int) throws(Failure) -> SecretBytes {
        let terminal = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY)
        guard terminal >= 0 else {
            throw Failure(
                description: "a prompt needs a terminal, and there is none (use env: or file: for unattended runs)")
        }
        defer { close(terminal) }
        _ = prompt.withCString { write(terminal, $0, strlen($0)) }

        var saved = termios()
        let canHide = tcgetattr(terminal, &saved) == 0
        if canHide {
            var hidden = saved
            hidden.c_lflag &= ~tcflag_t(ECHO)
            hidden.c_lflag |= tcflag_t(ECHONL)
            tcsetattr(terminal, TCSAFLUSH, &hidden)
        }
        defer {
            if canHide { tcsetattr(terminal, TCSAFLUSH, &saved) }
        }

        var tooLong = false
        let secret = SecretBytes(capacity: maximumLength + 1) { buffer in
            var count = 0
            var byte: UInt8 = 0
            while Glibc.read(terminal, &byte, 1) == 1 {
                if byte == 0x0A || byte == 0x0D { break }
                if count == maximumLength {
                    tooLong = true
                    continue
                }
                buffer[count] = byte
                count += 1
            }
            byte = 0
            return count
        }
        guard !tooLong else { throw Failure(description: "the entry is longer than \(maximumLength) bytes") }
        guard secret.count > 0 else { throw Failure(description: "nothing was entered") }
        return secret
    }
}
