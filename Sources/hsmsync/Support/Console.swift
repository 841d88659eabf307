#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Where commands write: human output and JSON on stdout, diagnostics on stderr.
enum Console {
    /// Writes a line to stdout.
    static func out(_ text: String = "") {
        write(text + "\n", to: STDOUT_FILENO)
    }

    /// Writes a line to stderr.
    static func error(_ text: String) {
        write(text + "\n", to: STDERR_FILENO)
    }

    /// Whether stderr is a terminal (progress bars are drawn only then).
    static var stderrIsTerminal: Bool { isatty(STDERR_FILENO) == 1 }

    /// Whether stdout is a terminal.
    static var stdoutIsTerminal: Bool { isatty(STDOUT_FILENO) == 1 }

    /// Unbuffered `write(2)`, all of it: output must be complete even if the process exits next.
    private static func write(_ text: String, to descriptor: Int32) {
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let written = bytes.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
            if written < 0 {
                if errno == EINTR { continue }
                return
            }
            bytes = bytes.dropFirst(written)
        }
    }
}
