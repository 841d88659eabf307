import HSMSyncModel
public import SecureMemory

/// One SLIP-0039 share: its public fields and its secret value.
///
/// A reference type so that shares can be collected in arrays; the value stays in one locked
/// buffer, wiped when the last reference goes away. Get one from ``parse(_:shareNumber:)`` (text a
/// custodian entered) or from ``ShareSplitter``; turn it back into words with ``mnemonic()``.
public final class MnemonicShare: Sendable {
    /// The share's public fields.
    public let metadata: ShareMetadata

    /// The share value (the y-coordinates).
    package let value: SecretBox

    /// A share made of `metadata` and `value`, taking ownership of the value.
    ///
    /// - Precondition: every field fits its SLIP-0039 bit width and the value is an even number of
    ///   at least 16 bytes, `metadata.valueByteCount` long.
    public init(metadata: ShareMetadata, value: consuming SecretBytes) {
        precondition((0..<(1 << SLIP39Format.identifierBitCount)).contains(metadata.identifier))
        precondition((0...SLIP39Format.maximumIterationExponent).contains(metadata.iterationExponent))
        precondition((0..<SLIP39Format.maximumShareCount).contains(metadata.groupIndex))
        precondition((1...SLIP39Format.maximumShareCount).contains(metadata.groupThreshold))
        precondition((1...SLIP39Format.maximumShareCount).contains(metadata.groupCount))
        precondition((0..<SLIP39Format.maximumShareCount).contains(metadata.memberIndex))
        precondition((1...SLIP39Format.maximumShareCount).contains(metadata.memberThreshold))
        precondition(value.count == metadata.valueByteCount, "the value length must match the metadata")
        precondition(value.count >= SLIP39Format.minimumSecretByteCount && value.count % 2 == 0)
        self.metadata = metadata
        self.value = SecretBox(value)
    }

    /// The share as a point of its group's polynomials.
    var memberPoint: SharePoint {
        SharePoint(x: UInt8(metadata.memberIndex), value: value)
    }

    /// Whether the two shares carry the same value (compared in constant time).
    func hasSameValue(as other: MnemonicShare) -> Bool {
        value.bytes.constantTimeEquals(other.value.bytes)
    }
}
