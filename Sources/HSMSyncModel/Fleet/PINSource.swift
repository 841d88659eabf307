/// Where an HSM's user PIN comes from. Never the PIN itself: not in the fleet file, not on the
/// command line.
///
/// `file:` (mode 0600, owned by the service user) is recommended for unattended services,
/// `prompt` for ceremonies; `env:` stays for nightly audits driven by schedulers that inject
/// secrets into the environment (SECURITY.md §6 explains the trade-off).
public enum PINSource: Sendable, Hashable, CustomStringConvertible {
    /// `env:NAME`: the environment variable NAME.
    case environment(name: String)
    /// `file:PATH`: the first line of a file readable only by its owner.
    case file(path: String)
    /// `prompt`: typed at a hidden prompt on the terminal.
    case prompt

    /// The longest PIN accepted from any source.
    public static let maximumLength = 256

    /// The source as written in a fleet file (`env:HSMSYNC_PIN`, `file:/etc/…`, `prompt`).
    public var description: String {
        switch self {
        case .environment(let name): return "env:\(name)"
        case .file(let path): return "file:\(path)"
        case .prompt: return "prompt"
        }
    }
}
