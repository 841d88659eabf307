import HSMSyncModel

/// The rule for signed-note key names (and checkpoint origins, which equal the log key's name):
/// non-empty, no Unicode white space, no `+`.
public enum KeyName {
    /// Whether `name` may be used as a key name.
    public static func isValid(_ name: some StringProtocol) -> Bool {
        !name.isEmpty
            && !name.unicodeScalars.contains { $0 == "+" || $0.properties.isWhitespace || $0.value < 0x20 }
    }
}
