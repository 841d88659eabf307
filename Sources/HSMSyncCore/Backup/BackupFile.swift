import Crypto
import HSMSyncModel
import SignedLog

/// The framing of a backup bundle (docs/backup-format.md): a 40-byte header, length-prefixed
/// sections, and a signature block.
///
/// ```
/// 0   8  magic "HSMSYNCB"
/// 8   2  format version, big-endian (1)
/// 10  2  reserved, zero
/// 12  4  section count, big-endian
/// 16  8  body length, big-endian (bytes of sections after the header)
/// 24  8  total file length, big-endian
/// 32  8  header check: SHA-256(bytes 0..<32)[0..<8]
/// 40  …  sections: type (1 byte), payload length (4 bytes, big-endian), payload (canonical JSON)
///     …  signature block: type 0x7F, payload length, payload {"signature", "vkey"}
/// ```
///
/// The header check tells damage from truncation: a file cut short keeps an intact header that
/// declares more bytes than there are (exit 2), a changed header byte breaks the check (exit 1).
/// The signature covers bytes 0..<24 and the body; the total length and header check are outside
/// it because they depend on the signature's own length.
public enum BackupFile {
    public static let magic: [UInt8] = Array("HSMSYNCB".utf8)
    public static let version: UInt16 = 1
    public static let headerLength = 40
    /// Section type and length prefix.
    static let sectionPrefixLength = 5
    /// Files larger than this are refused before being read (a bundle of 10,000 RSA keys is ~40 MB).
    public static let maximumSize = 1 << 30

    /// Section types.
    public enum SectionType: UInt8, Sendable {
        case manifest = 0x01
        case key = 0x02
        case object = 0x03
        case exclusion = 0x04
        case signature = 0x7F
    }

    /// One section as found in a file.
    public struct Section: Sendable {
        public let type: SectionType
        /// Offset of the section's type byte.
        public let offset: Int
        public let payload: [UInt8]
    }

    /// A file whose framing and signature block were read (the signature not yet checked).
    public struct Framed: Sendable {
        public let sections: [Section]
        /// The message the signature is over.
        public let signedMessage: [UInt8]
        /// The signature block's payload and offset.
        public let signaturePayload: [UInt8]
        public let signatureOffset: Int
        public let size: Int
    }

    /// What is signed: a fixed context line and the SHA-256 of bytes 0..<24 and the body, so a
    /// bundle signature can never pass for a checkpoint signature by the same key.
    static func signedMessage(headerPrefix: ArraySlice<UInt8>, body: ArraySlice<UInt8>) -> [UInt8] {
        var hasher = SHA256()
        hasher.update(data: Array(headerPrefix))
        hasher.update(data: Array(body))
        return Array("hsmsync backup bundle v1\n\(Array(hasher.finalize()).hexString)\n".utf8)
    }

    /// Lays out sections under a header; `sign` receives the message and returns the signature
    /// block's payload.
    static func assemble(
        _ sections: [(SectionType, [UInt8])], sign: ([UInt8]) async throws -> [UInt8]
    ) async throws -> [UInt8] {
        var body: [UInt8] = []
        for (type, payload) in sections {
            body.append(type.rawValue)
            body += bigEndian(UInt64(payload.count), bytes: 4)
            body += payload
        }
        var header = magic + bigEndian(UInt64(version), bytes: 2) + [0, 0]
        header += bigEndian(UInt64(sections.count), bytes: 4) + bigEndian(UInt64(body.count), bytes: 8)
        let signature = try await sign(signedMessage(headerPrefix: header[0..<24], body: body[...]))
        let total = headerLength + body.count + sectionPrefixLength + signature.count
        header += bigEndian(UInt64(total), bytes: 8)
        header += headerCheck(header[0..<32])
        var file = header + body
        file.append(SectionType.signature.rawValue)
        file += bigEndian(UInt64(signature.count), bytes: 4)
        file += signature
        return file
    }

    static func headerCheck(_ bytes: ArraySlice<UInt8>) -> [UInt8] {
        Array(Array(SHA256.hash(data: Array(bytes))).prefix(8))
    }

    static func bigEndian(_ value: UInt64, bytes count: Int) -> [UInt8] {
        (0..<count).reversed().map { UInt8(truncatingIfNeeded: value >> (UInt64($0) * 8)) }
    }

    static func readBigEndian(_ bytes: [UInt8], at offset: Int, count: Int) -> UInt64 {
        bytes[offset..<(offset + count)].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
    }

    /// Reads the framing of `bytes` (the whole file, named `path` in errors).
    ///
    /// - Throws: ``BackupFormatError``: not a bundle, truncated or a newer version (exit 2); a
    ///   damaged header, section framing or signature block (exit 1).
    static func frame(_ bytes: [UInt8], path: String) throws(BackupFormatError) -> Framed {
        let size = bytes.count
        guard size >= magic.count, Array(bytes[0..<magic.count]) == magic else {
            // A header whose check holds with the real magic was a bundle whose magic was changed.
            if size >= headerLength, headerCheck(magic[...] + bytes[magic.count..<32]) == Array(bytes[32..<40]) {
                throw .damaged(
                    path: path, offset: 0, reason: "the magic bytes were changed (the header check proves a bundle)")
            }
            if size < magic.count, size > 0, Array(bytes) == Array(magic.prefix(size)) {
                throw .truncated(path: path, size: size, expected: headerLength)
            }
            throw .notABundle(path: path, reason: size == 0 ? "the file is empty" : "it does not start with HSMSYNCB")
        }
        guard size >= headerLength else {
            throw .truncated(path: path, size: size, expected: headerLength)
        }
        guard headerCheck(bytes[0..<32]) == Array(bytes[32..<40]) else {
            throw .damaged(path: path, offset: 0, reason: "the header (bytes 0–39) does not match its check value")
        }
        let version = Int(readBigEndian(bytes, at: 8, count: 2))
        guard version == Int(Self.version) else {
            throw .unsupportedVersion(path: path, version: version)
        }
        guard bytes[10] == 0, bytes[11] == 0 else {
            throw .damaged(path: path, offset: 10, reason: "reserved header bytes are not zero")
        }
        let sectionCount = readBigEndian(bytes, at: 12, count: 4)
        let bodyLength = readBigEndian(bytes, at: 16, count: 8)
        let total = readBigEndian(bytes, at: 24, count: 8)
        guard total <= UInt64(maximumSize), bodyLength <= total else {
            throw .damaged(path: path, offset: 16, reason: "the header declares impossible lengths")
        }
        if size < Int(total) {
            throw .truncated(path: path, size: size, expected: Int(total))
        }
        if size > Int(total) {
            throw .damaged(
                path: path, offset: Int(total), reason: "\(size - Int(total)) bytes follow the signature block")
        }
        let signatureOffset = headerLength + Int(bodyLength)
        guard signatureOffset + sectionPrefixLength <= size else {
            throw .damaged(path: path, offset: 16, reason: "the body length leaves no room for the signature block")
        }
        guard bytes[signatureOffset] == SectionType.signature.rawValue else {
            throw .damaged(
                path: path, offset: signatureOffset,
                reason:
                    "expected the signature block (type 0x7f), found type 0x\(String(bytes[signatureOffset], radix: 16))"
            )
        }
        let signatureLength = Int(readBigEndian(bytes, at: signatureOffset + 1, count: 4))
        guard signatureOffset + sectionPrefixLength + signatureLength == size else {
            throw .damaged(
                path: path, offset: signatureOffset + 1,
                reason: "the signature block's length (\(signatureLength)) does not reach the end of the file")
        }

        let sections = try Self.sections(bytes, until: signatureOffset, path: path)
        guard sections.count == Int(sectionCount) else {
            throw .damaged(
                path: path, offset: 12,
                reason: "the header declares \(sectionCount) sections, the body holds \(sections.count)")
        }
        let start = signatureOffset + sectionPrefixLength
        return Framed(
            sections: sections,
            signedMessage: signedMessage(headerPrefix: bytes[0..<24], body: bytes[headerLength..<signatureOffset]),
            signaturePayload: Array(bytes[start..<size]), signatureOffset: signatureOffset, size: size)
    }

    /// The body's sections, each within the body and of a known type.
    private static func sections(_ bytes: [UInt8], until signatureOffset: Int, path: String)
        throws(BackupFormatError) -> [Section]
    {
        var sections: [Section] = []
        var offset = headerLength
        while offset < signatureOffset {
            guard offset + sectionPrefixLength <= signatureOffset else {
                throw .damaged(path: path, offset: offset, reason: "a section prefix runs into the signature block")
            }
            guard let type = SectionType(rawValue: bytes[offset]), type != .signature else {
                throw .damaged(
                    path: path, offset: offset, reason: "unknown section type 0x\(String(bytes[offset], radix: 16))")
            }
            let length = Int(readBigEndian(bytes, at: offset + 1, count: 4))
            let start = offset + sectionPrefixLength
            guard start + length <= signatureOffset else {
                throw .damaged(
                    path: path, offset: offset + 1, reason: "the section's length (\(length)) runs past the body")
            }
            sections.append(Section(type: type, offset: offset, payload: Array(bytes[start..<(start + length)])))
            offset = start + length
        }
        return sections
    }
}
