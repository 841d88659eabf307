import Crypto
import CryptoExtras
import HSMSyncModel
public import SecureMemory

/// The key check value (KCV) of an AES key: the leftmost 5 bytes of the AES-CMAC of one block of
/// zero bytes (ANSI X9.24-1-2017), computed on the host from the key's bytes.
///
/// A KCV identifies a key without revealing it: ceremony records carry the transport key's KCV, and
/// a key recovered from custodian shares must reproduce it before it is used (SECURITY.md R9, T24).
/// Unlike the legacy 3-byte "encrypt a zero block" value, CMAC never hands out a ciphertext that
/// could be replayed. The value is public; it is shown as hex and as four SLIP-0039 words.
public struct KeyCheckValue: Sendable, Hashable, CustomStringConvertible {
    /// The length of a check value in bytes.
    public static let byteCount = 5

    /// The check value's 5 bytes.
    public let bytes: [UInt8]

    /// Computes the check value of an AES key.
    ///
    /// - Parameter aesKey: a 128-, 192- or 256-bit AES key.
    /// - Throws: ``KeyCheckValueError/unsupportedKeyLength(bytes:)`` for other lengths.
    public init(aesKey: borrowing SecretBytes) throws(KeyCheckValueError) {
        guard [16, 24, 32].contains(aesKey.count) else {
            throw .unsupportedKeyLength(bytes: aesKey.count)
        }
        let zeroBlock = [UInt8](repeating: 0, count: 16)
        let mac = zeroBlock.withUnsafeBytes { Self.aesCMAC(key: aesKey, message: $0) }
        bytes = Array(mac.prefix(Self.byteCount))
    }

    /// A check value from its bytes (for example from a ceremony record).
    ///
    /// - Throws: ``KeyCheckValueError/malformed(_:)`` unless there are exactly 5 bytes.
    public init(bytes: [UInt8]) throws(KeyCheckValueError) {
        guard bytes.count == Self.byteCount else {
            throw .malformed("a key check value has \(Self.byteCount) bytes, not \(bytes.count)")
        }
        self.bytes = bytes
    }

    /// A check value from 10 hex digits, either case; spaces and colons between digits are ignored.
    public init(hex: String) throws(KeyCheckValueError) {
        let digits = hex.filter { $0 != " " && $0 != ":" }
        var parsed: [UInt8] = []
        var iterator = digits.makeIterator()
        while let high = iterator.next() {
            guard let highValue = high.hexDigitValue, let low = iterator.next(), let lowValue = low.hexDigitValue
            else {
                throw .malformed("\"\(hex)\" is not a key check value in hex (10 hex digits)")
            }
            parsed.append(UInt8(highValue << 4 | lowValue))
        }
        guard parsed.count == Self.byteCount else {
            throw .malformed("\"\(hex)\" is not a key check value in hex (10 hex digits)")
        }
        bytes = parsed
    }

    /// A check value from its four SLIP-0039 words (see ``words``), either case.
    public init(words text: String) throws(KeyCheckValueError) {
        let words = text.split(whereSeparator: \.isWhitespace)
        guard words.count == 4 else {
            throw .malformed("a key check value is 4 words, not \(words.count)")
        }
        var value: UInt64 = 0
        for (position, word) in words.enumerated() {
            let utf8 = Array(word.utf8)
            let index = utf8.withUnsafeBytes { MnemonicWordList.index(ofLetters: $0[...]) }
            guard let index else {
                throw .malformed(
                    "word \(position + 1) of the key check value, \"\(word)\", is not in the SLIP-0039 word list")
            }
            value = value << 10 | UInt64(index)
        }
        bytes = (0..<Self.byteCount).map { UInt8(truncatingIfNeeded: value >> (8 * UInt64(Self.byteCount - 1 - $0))) }
    }

    /// The check value as 10 upper-case hex digits, for example `1A0B2DF267`.
    public var hex: String {
        bytes.map { byte in
            let digits = String(byte, radix: 16, uppercase: true)
            return byte < 0x10 ? "0" + digits : digits
        }.joined()
    }

    /// The check value's 40 bits as four SLIP-0039 words (10 bits each, most significant first),
    /// easier to read aloud and compare in a ceremony than hex. This rendering is hsmsync's own
    /// convention, not part of X9.24 or SLIP-0039.
    public var words: [String] {
        let value = bytes.reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        return (0..<4).map { MnemonicWordList.word(at: Int((value >> (10 * UInt64(3 - $0))) & 1023)) }
    }

    /// The hex form.
    public var description: String { hex }

    /// Checks that this (freshly computed) check value equals the one recorded at the ceremony.
    ///
    /// - Throws: ``KeyCheckValueError/mismatch(recorded:computed:)``: the key is not the recorded one.
    public func verify(against recorded: KeyCheckValue) throws(KeyCheckValueError) {
        guard self == recorded else {
            throw .mismatch(recorded: recorded, computed: self)
        }
    }

    /// AES-CMAC (NIST SP 800-38B) of `message` under `key`, all 16 bytes.
    package static func aesCMAC(key: borrowing SecretBytes, message: UnsafeRawBufferPointer) -> [UInt8] {
        let symmetricKey = key.withUnsafeBytes { SymmetricKey(data: $0) }
        do {
            var cmac = try AES.CMAC(key: symmetricKey)
            cmac.update(bufferPointer: message)
            return Array(cmac.finalize())
        } catch {
            // AES.CMAC only rejects key lengths other than 128, 192 and 256 bits, checked by callers.
            preconditionFailure("AES-CMAC refused a \(key.count * 8)-bit key: \(error)")
        }
    }
}
