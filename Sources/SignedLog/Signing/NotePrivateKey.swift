import Crypto
import Glibc
public import HSMSyncModel
public import SecureMemory

/// An Ed25519 signed-note private key held in a file: the Go/C2SP text of `PRIVATE`, `KEY`,
/// `<name>`, `<hex key ID>` and `<base64(type ‖ 32-byte seed)>` joined by `+` (Go's
/// `note.GenerateKey` and `note.NewSigner`; type `0x04` for a witness key, as
/// transparency-dev/formats' `NewSignerForCosignatureV1` reads it).
///
/// The seed lives only in ``SecretBytes``: the file is read into a locked buffer, parsed and
/// decoded in place, and never becomes a `String`, `Data` or `[UInt8]`. File keys are for tests,
/// development and ephemeral ceremony keys; long-lived logs keep their key in an HSM.
public struct NotePrivateKey: ~Copyable, Sendable {
    /// The key name (for a log key: the origin).
    public let name: String
    /// The public half, as a vkey.
    public let verifierKey: VerifierKey
    private let seed: SecretBytes

    /// The key type: ``NoteSignatureType/ed25519`` (log and note keys) or
    /// ``NoteSignatureType/cosignatureV1`` (witness keys).
    public var type: NoteSignatureType { verifierKey.type }
    /// The key ID.
    public var keyID: UInt32 { verifierKey.keyID }

    private init(name: String, type: NoteSignatureType, seed: consuming SecretBytes) throws(NoteFormatError) {
        let publicKey: [UInt8]
        do {
            publicKey = try seed.withUnsafeBytes { seedBytes in
                Array(try Curve25519.Signing.PrivateKey(rawRepresentation: seedBytes).publicKey.rawRepresentation)
            }
        } catch {
            throw NoteFormatError("the key's seed is not a valid Ed25519 seed")
        }
        self.verifierKey = try VerifierKey.ed25519(name: name, publicKey: publicKey, type: type)
        self.name = name
        self.seed = seed
    }

    /// Generates a new key from the system's random source.
    /// - Parameters:
    ///   - name: the key name (a log key's name is its origin).
    ///   - type: `.ed25519` for a log or note key, `.cosignatureV1` for a witness key.
    public static func generate(name: String, type: NoteSignatureType = .ed25519) throws -> NotePrivateKey {
        guard type == .ed25519 || type == .cosignatureV1 else {
            throw NoteFormatError("file keys are Ed25519 (0x01) or Ed25519 cosignature (0x04) keys")
        }
        guard KeyName.isValid(name) else {
            throw NoteFormatError("invalid key name \"\(name)\": it must be non-empty, without spaces or '+'")
        }
        let seed = SecretBytes(capacity: 32) { buffer in
            var generator = SystemRandomNumberGenerator()
            for offset in stride(from: 0, to: 32, by: 8) {
                buffer.storeBytes(of: generator.next(), toByteOffset: offset, as: UInt64.self)
            }
            return 32
        }
        return try NotePrivateKey(name: name, type: type, seed: seed)
    }

    /// Parses private key text held in `text` (a trailing newline is allowed).
    /// - Throws: ``NoteFormatError``; its message never contains key material.
    public static func parse(_ text: borrowing SecretBytes) throws(NoteFormatError) -> NotePrivateKey {
        let parsed = try text.withUnsafeBytes { (raw) throws(NoteFormatError) -> ParsedKeyText in
            var end = raw.count
            while end > 0 && (raw[end - 1] == 0x0A || raw[end - 1] == 0x0D || raw[end - 1] == 0x20) { end -= 1 }
            var pluses: [Int] = []
            for index in 0..<end where raw[index] == UInt8(ascii: "+") {
                pluses.append(index)
                if pluses.count == 4 { break }
            }
            guard pluses.count == 4,
                Array(raw[0..<pluses[0]]) == Array("PRIVATE".utf8),
                Array(raw[(pluses[0] + 1)..<pluses[1]]) == Array("KEY".utf8)
            else {
                throw NoteFormatError("not a private key text (PRIVATE, KEY, name, key ID, key, joined by '+')")
            }
            let name = String(decoding: raw[(pluses[1] + 1)..<pluses[2]], as: UTF8.self)
            let idText = String(decoding: raw[(pluses[2] + 1)..<pluses[3]], as: UTF8.self)
            let encoded = UnsafeRawBufferPointer(rebasing: raw[(pluses[3] + 1)..<end])
            var decoded = SecretBytes(zeroedCount: encoded.count / 4 * 3 + 3)
            let count = decoded.withUnsafeMutableBytes { Base64.decode(encoded, into: $0) }
            guard let count, count == 33 else {
                throw NoteFormatError("the key of private key \(name) is not canonical base64 of 33 bytes")
            }
            decoded.truncate(to: count)
            let type = decoded.withUnsafeBytes { NoteSignatureType(rawValue: $0[0]) }
            let seed = decoded.withUnsafeBytes { bytes in
                SecretBytes(capacity: 32) { target in
                    target.copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[1..<33]))
                    return 32
                }
            }
            return ParsedKeyText(name: name, idText: idText, type: type, seed: seed)
        }
        guard parsed.type == .ed25519 || parsed.type == .cosignatureV1 else {
            throw NoteFormatError("private key \(parsed.name) has type \(parsed.type); only Ed25519 keys are supported")
        }
        guard KeyName.isValid(parsed.name) else {
            throw NoteFormatError("invalid key name in private key text")
        }
        let name = parsed.name
        let idText = parsed.idText
        let key = try NotePrivateKey(name: name, type: parsed.type, seed: parsed.seed)
        guard idText.lowercased() == KeyID.hex(key.keyID) else {
            throw NoteFormatError(
                "key ID mismatch in private key \(name): it says \(idText), the key gives \(KeyID.hex(key.keyID))")
        }
        return key
    }

    /// Reads a key file, refusing one that group or others may read or write (mode must be 0600
    /// or stricter).
    public static func read(from path: String) throws -> NotePrivateKey {
        let fd = try PosixFile.open(path, O_RDONLY)
        defer { PosixFile.close(fd) }
        let mode = try PosixFile.mode(fd, path: path)
        guard mode & 0o077 == 0 else {
            throw KeyFileError.insecureMode(path: path, mode: mode)
        }
        let text = try SecretBytes(capacity: 4096) { (buffer) throws(LogIOError) -> Int in
            var filled = 0
            while filled < buffer.count {
                let count = Glibc.read(fd, buffer.baseAddress! + filled, buffer.count - filled)
                if count < 0 {
                    if errno == EINTR { continue }
                    throw LogIOError("read", path: path)
                }
                if count == 0 { break }
                filled += count
            }
            return filled
        }
        do {
            return try NotePrivateKey.parse(text)
        } catch {
            throw KeyFileError.malformed(path: path, reason: error.reason)
        }
    }

    /// Writes the key text to a new file with mode 0600, never replacing an existing file.
    public func write(to path: String) throws {
        let prefix = Array(["PRIVATE", "KEY", name, KeyID.hex(keyID), ""].joined(separator: "+").utf8)
        let encodedCount = Base64.encodedCount(33)
        let text = seed.withUnsafeBytes { seedBytes in
            SecretBytes(capacity: prefix.count + encodedCount + 1) { target in
                target.copyBytes(from: prefix)
                let raw = SecretBytes(capacity: 33) { keyBytes in
                    keyBytes[0] = type.rawValue
                    UnsafeMutableRawBufferPointer(rebasing: keyBytes[1..<33]).copyMemory(from: seedBytes)
                    return 33
                }
                raw.withUnsafeBytes { source in
                    _ = Base64.encode(source, into: UnsafeMutableRawBufferPointer(rebasing: target[prefix.count...]))
                }
                target[prefix.count + encodedCount] = 0x0A
                return prefix.count + encodedCount + 1
            }
        }
        let failure: LogIOError? = text.withUnsafeBytes { bytes in
            do throws(LogIOError) {
                try PosixFile.createExclusively(path, with: bytes, mode: 0o600)
                return nil
            } catch {
                return error
            }
        }
        if let failure {
            throw failure.code == EEXIST ? KeyFileError.exists(path: path) : failure
        }
    }

    /// Signs `message` with Ed25519 (the raw 64-byte signature, without key ID or timestamp).
    public func sign(_ message: [UInt8]) throws -> [UInt8] {
        try seed.withUnsafeBytes { seedBytes in
            Array(try Curve25519.Signing.PrivateKey(rawRepresentation: seedBytes).signature(for: message))
        }
    }

    /// The note signature line over `text`: a plain Ed25519 signature for a `0x01` key, a
    /// timestamped v1 cosignature (time `now`) for a `0x04` key.
    public func noteSignature(over text: [UInt8], now: UInt64) throws -> NoteSignature {
        if type == .cosignatureV1 {
            let signature = try sign(Cosignature.message(timestamp: now, checkpointText: text))
            return Cosignature.noteSignature(keyName: name, keyID: keyID, timestamp: now, ed25519Signature: signature)
        }
        return NoteSignature(keyName: name, keyID: keyID, signature: try sign(text))
    }
}

/// The fields of a private key text, before the key is checked.
private struct ParsedKeyText: ~Copyable {
    let name: String
    let idText: String
    let type: NoteSignatureType
    let seed: SecretBytes
}

/// A private key file that cannot be used.
public enum KeyFileError: CategorizedError, Hashable, Sendable {
    /// Group or others may access the key file.
    case insecureMode(path: String, mode: UInt32)
    /// The file does not hold a valid private key text.
    case malformed(path: String, reason: String)
    /// An output key file already exists; keys are never overwritten.
    case exists(path: String)
    /// The key has the wrong role (a witness key given as a log key, or the reverse).
    case wrongType(path: String, expected: String)

    public var category: FailureCategory { .invalidInput }

    public var description: String {
        switch self {
        case .insecureMode(let path, let mode):
            "key file \(path) has mode \(String(mode, radix: 8)): group and others must have no access (chmod 600)"
        case .malformed(let path, let reason):
            "key file \(path): \(reason)"
        case .exists(let path):
            "\(path) already exists; a key file is never overwritten"
        case .wrongType(let path, let expected):
            "key file \(path) is not \(expected)"
        }
    }
}
