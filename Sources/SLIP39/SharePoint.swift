import HSMSyncModel
import SecureMemory

/// One point of a set of sharing polynomials: the x-coordinate (a member or group index, or 254 for
/// the digest and 255 for the secret) and the share value, whose byte *k* is polynomial *k* at *x*.
struct SharePoint: Sendable {
    /// The x-coordinate (public).
    let x: UInt8
    /// The y-values, one byte per polynomial (secret).
    let value: SecretBox
}
