public import HSMSyncModel

/// Why a key check value could not be computed, read or confirmed.
public enum KeyCheckValueError: CategorizedError, Hashable {
    /// The key is not a 128-, 192- or 256-bit AES key.
    case unsupportedKeyLength(bytes: Int)
    /// A recorded check value could not be read.
    case malformed(String)
    /// The key's check value differs from the recorded one.
    case mismatch(recorded: KeyCheckValue, computed: KeyCheckValue)

    /// A mismatch is an integrity failure (exit 1); the others are invalid input (exit 2).
    public var category: FailureCategory {
        if case .mismatch = self { return .integrity }
        return .invalidInput
    }

    /// What went wrong, for the operator (check values are public and may be shown).
    public var description: String {
        switch self {
        case .unsupportedKeyLength(let bytes):
            "a key check value needs a 128-, 192- or 256-bit AES key, not \(bytes * 8) bits"
        case .malformed(let reason):
            reason
        case .mismatch(let recorded, let computed):
            "the key check value is \(computed.hex) but the ceremony record says \(recorded.hex): this is not the "
                + "recorded key (a wrong share set or passphrase); nothing may be wrapped under it"
        }
    }
}
