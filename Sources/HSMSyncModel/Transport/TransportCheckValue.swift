import Crypto
public import SecureMemory

/// A check value for a transport key that every HSM can compute without revealing the key:
/// the first 8 bytes (16 hex digits) of SHA-256 of `CKM_AES_KEY_WRAP` (RFC 3394) of a fixed,
/// public probe key under the transport key.
///
/// RFC 3394 is deterministic, so equal transport keys give equal check values, in an HSM
/// (`C_WrapKey` of a session copy of the probe) or on the ceremony host (from the plaintext key).
/// It needs `CKA_WRAP` on the transport key. It is distinct from the custodians' AES-CMAC key check
/// value (``KeyCheckValue``), which only the host can compute: a transport key may not sign (R1).
public enum TransportCheckValue {
    /// The probe: SHA-256 of `hsmsync/transport-check-value/v1`. Public by design.
    public static let probeKey: [UInt8] = Array(SHA256.hash(data: Array("hsmsync/transport-check-value/v1".utf8)))

    /// The check value from the wrapped probe.
    public static func from(wrappedProbe: [UInt8]) -> String {
        Array(SHA256.hash(data: wrappedProbe)).prefix(8).hexString
    }

    /// The check value of a transport key held on the host (ceremony create/install).
    public static func compute(transportKey: borrowing SecretBytes) throws -> String {
        let kek = transportKey.withUnsafeBytes { SymmetricKey(data: $0) }
        let wrapped = try AES.KeyWrap.wrap(SymmetricKey(data: probeKey), using: kek)
        return from(wrappedProbe: Array(wrapped))
    }
}
