import Crypto
import Foundation
public import HSMSyncModel
public import SignedLog

/// Writes bundles and reads them back: framing, signature, section content, consistency.
public enum BackupCodec {
    /// The signature block's payload.
    struct SignatureBlock: Codable {
        /// The signer's vkey (name, key ID, type, public key).
        var vkey: String
        /// Base64 of the signature over ``BackupFile/signedMessage(headerPrefix:body:)``.
        var signature: String
    }

    /// The bundle's bytes for `content`, signed by `signer`.
    public static func encode(_ content: BackupContent, signer: any AuditSigner) async throws -> [UInt8] {
        var sections: [(BackupFile.SectionType, [UInt8])] = [
            (.manifest, try CanonicalJSON.encode(encodable: content.manifest))
        ]
        sections += try content.keys.map { (.key, try CanonicalJSON.encode(encodable: $0)) }
        sections += try content.objects.map { (.object, try CanonicalJSON.encode(encodable: $0)) }
        sections += try content.excluded.map { (.exclusion, try CanonicalJSON.encode(encodable: $0)) }
        return try await BackupFile.assemble(sections) { message in
            let signature = try await signer.sign(message)
            return try CanonicalJSON.encode(
                encodable: SignatureBlock(vkey: signer.verifierKey.description, signature: Base64.encode(signature)))
        }
    }

    /// Creates `path` with `bytes` (`O_CREAT|O_EXCL`, fsync of the file and its directory).
    public static func write(_ bytes: [UInt8], to path: String) throws {
        do {
            try DurableFile.create(path, with: bytes, mode: 0o640)
        } catch {
            if error.code == EEXIST { throw BackupError.outputExists(path: path) }
            throw BackupError.outputFailed(path: path, reason: "\(error)")
        }
    }

    /// Reads a bundle file whole.
    public static func readFile(_ path: String) throws(BackupFormatError) -> [UInt8] {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw .unreadable(path: path, reason: "no such file, or not readable")
        }
        defer { try? handle.close() }
        let size = (try? handle.seekToEnd()) ?? 0
        guard size <= UInt64(BackupFile.maximumSize) else {
            throw .notABundle(path: path, reason: "\(size) bytes is larger than any bundle")
        }
        do {
            try handle.seek(toOffset: 0)
            return Array(try handle.readToEnd() ?? Data())
        } catch {
            throw .unreadable(path: path, reason: "\(error.localizedDescription)")
        }
    }

    /// Reads and checks a bundle: framing, signature (against `trusted` when given, else the
    /// embedded vkey), section content and internal consistency.
    ///
    /// - Throws: ``BackupFormatError`` with the byte offset of the first problem.
    public static func load(_ path: String, trusted: VerifierKey?) throws(BackupFormatError) -> VerifiedBackup {
        let bytes = try readFile(path)
        let framed = try BackupFile.frame(bytes, path: path)
        let signer = try verifySignature(framed, trusted: trusted, path: path)
        let decoder = JSONDecoder()
        func decode<T: Decodable>(_ type: T.Type, _ section: BackupFile.Section) throws(BackupFormatError) -> T {
            do {
                return try decoder.decode(type, from: Data(section.payload))
            } catch {
                throw .inconsistent(
                    path: path, offset: section.offset, reason: "cannot be decoded: \(Self.reason(error))")
            }
        }
        guard let first = framed.sections.first, first.type == .manifest else {
            throw .inconsistent(
                path: path, offset: BackupFile.headerLength, reason: "the first section is not the manifest")
        }
        let manifest = try decode(BackupManifest.self, first)
        var keys: [BackupWrappedKey] = []
        var objects: [BackupPublicObject] = []
        var excluded: [BackupExclusion] = []
        var offsets = BackupOffsets()
        for section in framed.sections.dropFirst() {
            switch section.type {
            case .manifest, .signature:
                throw .inconsistent(path: path, offset: section.offset, reason: "a second \(section.type) section")
            case .key:
                keys.append(try decode(BackupWrappedKey.self, section))
                offsets.keys.append(section.offset)
            case .object:
                objects.append(try decode(BackupPublicObject.self, section))
                offsets.objects.append(section.offset)
            case .exclusion:
                excluded.append(try decode(BackupExclusion.self, section))
                offsets.excluded.append(section.offset)
            }
        }
        let content = BackupContent(manifest: manifest, keys: keys, objects: objects, excluded: excluded)
        try BackupConsistency.check(content, offsets: offsets, manifestOffset: first.offset, path: path)
        return VerifiedBackup(
            content: content, signer: signer, pinned: trusted != nil, size: framed.size,
            sha256: Array(SHA256.hash(data: bytes)).hexString)
    }

    private static func verifySignature(_ framed: BackupFile.Framed, trusted: VerifierKey?, path: String)
        throws(BackupFormatError) -> VerifierKey
    {
        let offset = framed.signatureOffset
        let block: SignatureBlock
        do {
            block = try JSONDecoder().decode(SignatureBlock.self, from: Data(framed.signaturePayload))
        } catch {
            throw .badSignature(path: path, offset: offset, reason: "the signature block cannot be decoded")
        }
        let embedded: VerifierKey
        do {
            embedded = try VerifierKey(parsing: block.vkey)
        } catch {
            throw .badSignature(path: path, offset: offset, reason: "the signer's vkey is malformed: \(error)")
        }
        guard let signature = Base64.decode(block.signature) else {
            throw .badSignature(path: path, offset: offset, reason: "the signature is not base64")
        }
        let key = trusted ?? embedded
        if let trusted, trusted != embedded {
            throw .badSignature(
                path: path, offset: offset,
                reason: "signed by \(embedded.name) (key ID \(KeyID.hex(embedded.keyID))), not by the trusted key "
                    + "\(trusted.name) (key ID \(KeyID.hex(trusted.keyID)))")
        }
        let note = NoteSignature(keyName: key.name, keyID: key.keyID, signature: signature)
        guard key.verify(note, text: framed.signedMessage) else {
            throw .badSignature(
                path: path, offset: offset,
                reason: "does not verify under \(key.name) (key ID \(KeyID.hex(key.keyID))): the bundle was changed")
        }
        return key
    }

    static func reason(_ error: any Error) -> String {
        switch error {
        case DecodingError.keyNotFound(let key, let context):
            return "missing \(path(context.codingPath + [key]))"
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context):
            return "wrong type at \(path(context.codingPath))"
        case DecodingError.dataCorrupted(let context):
            return "\(context.debugDescription) at \(path(context.codingPath))"
        default:
            return "not JSON"
        }
    }

    private static func path(_ keys: [any CodingKey]) -> String {
        keys.isEmpty ? "(top)" : keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
    }
}

/// Where each section starts, for messages.
public struct BackupOffsets: Sendable, Hashable {
    public var keys: [Int] = []
    public var objects: [Int] = []
    public var excluded: [Int] = []
}

/// A bundle that passed every check.
public struct VerifiedBackup: Sendable {
    public let content: BackupContent
    /// The key whose signature verified.
    public let signer: VerifierKey
    /// Whether the signer was checked against a trusted key (not just the bundle's own vkey).
    public let pinned: Bool
    public let size: Int
    /// SHA-256 of the whole file (hex).
    public let sha256: String
}
