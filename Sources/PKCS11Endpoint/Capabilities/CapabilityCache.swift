import HSMSyncModel
import Synchronization

/// Capabilities probed in this process, by module and token, so that a long-running process (the
/// service's watch cycles, which open their workers afresh) probes each token once, not each cycle.
///
/// A probe that could try token objects (a read-write session) replaces one that could not; one
/// from a read-only session never replaces a read-write one.
enum CapabilityCache {
    private struct Entry {
        let capabilities: TokenCapabilities
        let tokenObjectsProbed: Bool
    }

    private static let entries = Mutex<[String: Entry]>([:])

    static func key(module: String, serial: String, label: String) -> String {
        "\(module)\u{0}\(serial)\u{0}\(label)"
    }

    /// What an earlier probe found, when it was at least as thorough as `tokenObjects` asks.
    static func lookup(_ key: String, tokenObjects: Bool) -> TokenCapabilities? {
        entries.withLock { entries in
            guard let entry = entries[key], entry.tokenObjectsProbed || !tokenObjects else { return nil }
            return entry.capabilities
        }
    }

    static func store(_ capabilities: TokenCapabilities, for key: String, tokenObjects: Bool) {
        entries.withLock { entries in
            if entries[key]?.tokenObjectsProbed == true && !tokenObjects { return }
            entries[key] = Entry(capabilities: capabilities, tokenObjectsProbed: tokenObjects)
        }
    }
}
