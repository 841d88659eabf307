import HSMSyncModel

/// An ``AuditSigner`` over an Ed25519 key file (Go/C2SP private key text, mode 0600): tests, development
/// and ephemeral ceremony keys. The seed stays in ``NotePrivateKey``'s locked buffer.
public final class FileKeySigner: AuditSigner {
    private let key: NotePrivateKey
    public let verifierKey: VerifierKey

    /// Wraps a key already in memory.
    /// - Throws: ``KeyFileError/wrongType(path:expected:)`` for a witness (`0x04`) key.
    public init(key: consuming NotePrivateKey) throws {
        guard key.type == .ed25519 else {
            throw KeyFileError.wrongType(path: key.name, expected: "an Ed25519 (0x01) log key")
        }
        verifierKey = key.verifierKey
        self.key = key
    }

    /// Reads the key file at `path`, refusing it unless its mode is 0600 or stricter.
    public convenience init(path: String) throws {
        let key = try NotePrivateKey.read(from: path)
        guard key.type == .ed25519 else {
            throw KeyFileError.wrongType(path: path, expected: "an Ed25519 (0x01) log key")
        }
        try self.init(key: key)
    }

    public func sign(_ message: [UInt8]) async throws -> [UInt8] {
        try key.sign(message)
    }
}
