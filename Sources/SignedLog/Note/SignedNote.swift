import HSMSyncModel

/// A C2SP signed note (signed-note v1.0.0): a text ending in a newline, a blank line, then one or
/// more signature lines.
///
/// Parsing is strict: valid UTF-8, no control characters but `\n`, the text separated from the
/// signatures by the last empty line, every signature line `— <name> <base64>` with canonical
/// base64 of at least five bytes. At most ``maximumSignatureCount`` signatures are accepted, as
/// in Go's `golang.org/x/mod/sumdb/note`.
public struct SignedNote: Hashable, Sendable {
    /// The most signature lines a note may carry before it is rejected.
    public static let maximumSignatureCount = 100
    /// The most signature lines hsmsync writes on one note.
    public static let maximumWrittenSignatureCount = 16

    /// The signed text, including its final newline.
    public let text: String
    /// The signature lines, in order.
    public var signatures: [NoteSignature]

    public init(text: String, signatures: [NoteSignature]) {
        self.text = text
        self.signatures = signatures
    }

    /// The note as stored: text, blank line, signature lines.
    public var serialized: String {
        text + "\n" + signatures.map(\.line).joined()
    }

    /// The bytes the signatures cover.
    public var textBytes: [UInt8] { Array(text.utf8) }

    private static let emDash: [UInt8] = [0xE2, 0x80, 0x94, 0x20]

    /// Parses a note strictly.
    /// - Throws: ``NoteFormatError`` naming the first rule broken.
    public init(parsing bytes: [UInt8]) throws(NoteFormatError) {
        guard String(validating: bytes, as: UTF8.self) != nil else {
            throw NoteFormatError("the note is not valid UTF-8")
        }
        if let control = bytes.firstIndex(where: { $0 < 0x20 && $0 != 0x0A }) {
            throw NoteFormatError("control character 0x\(Hex.encode([bytes[control]])) at byte \(control)")
        }
        guard bytes.last == 0x0A else {
            throw NoteFormatError("the note does not end with a newline")
        }
        // The text ends at the last empty line: find the last "\n\n".
        var split: Int?
        var index = bytes.count - 2
        while index >= 0 {
            if bytes[index] == 0x0A && bytes[index + 1] == 0x0A {
                split = index
                break
            }
            index -= 1
        }
        guard let split else {
            throw NoteFormatError("no blank line separates the text from the signatures")
        }
        let textBytes = bytes[0...split]
        let signatureBytes = bytes[(split + 2)...]
        guard !signatureBytes.isEmpty else {
            throw NoteFormatError("the note has no signature lines")
        }
        var signatures: [NoteSignature] = []
        for lineBytes in signatureBytes.dropLast().split(separator: 0x0A, omittingEmptySubsequences: false) {
            guard signatures.count < Self.maximumSignatureCount else {
                throw NoteFormatError("more than \(Self.maximumSignatureCount) signature lines")
            }
            signatures.append(try Self.parseSignatureLine(Array(lineBytes)))
        }
        self.text = String(decoding: textBytes, as: UTF8.self)
        self.signatures = signatures
    }

    private static func parseSignatureLine(_ line: [UInt8]) throws(NoteFormatError) -> NoteSignature {
        let shown = String(decoding: line.prefix(80), as: UTF8.self)
        guard line.starts(with: emDash) else {
            throw NoteFormatError("signature line does not start with an em dash (U+2014) and a space: \(shown)")
        }
        let rest = line.dropFirst(emDash.count)
        guard let space = rest.firstIndex(of: 0x20) else {
            throw NoteFormatError("signature line has no space between key name and signature: \(shown)")
        }
        let name = String(decoding: rest[rest.startIndex..<space], as: UTF8.self)
        guard KeyName.isValid(name) else {
            throw NoteFormatError("invalid key name in signature line: \(shown)")
        }
        let encoded = String(decoding: rest[(space + 1)...], as: UTF8.self)
        guard let blob = Base64.decode(encoded) else {
            throw NoteFormatError("signature of \(name) is not canonical base64 with padding")
        }
        guard blob.count >= 5 else {
            throw NoteFormatError("signature of \(name) is shorter than a key ID and one byte")
        }
        return NoteSignature(keyName: name, keyID: KeyID.value(blob), signature: Array(blob.dropFirst(4)))
    }
}
