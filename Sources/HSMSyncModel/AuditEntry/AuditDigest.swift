import Crypto

/// A digest as entries write it: `"sha256:<64 lowercase hex>"`. Inputs are recorded only as
/// digests, so secrets cannot be passed as inputs by mistake.
public struct AuditDigest: Hashable, Sendable, CustomStringConvertible {
    /// The 32 bytes of the SHA-256.
    public let bytes: [UInt8]

    /// The SHA-256 of `data`.
    public static func sha256(of data: some Sequence<UInt8>) -> AuditDigest {
        AuditDigest(bytes: Array(SHA256.hash(data: Array(data))))
    }

    /// A digest computed elsewhere (for example by an HSM).
    /// - Returns: `nil` unless `bytes` holds 32 bytes.
    public init?(sha256 bytes: [UInt8]) {
        guard bytes.count == 32 else { return nil }
        self.bytes = bytes
    }

    private init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// Parses `sha256:<hex>`.
    public init?(parsing text: some StringProtocol) {
        guard text.hasPrefix("sha256:"), let bytes = Hex.decode(text.dropFirst(7)), bytes.count == 32 else {
            return nil
        }
        self.bytes = bytes
    }

    public var description: String { "sha256:" + Hex.encode(bytes) }
}
