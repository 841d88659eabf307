import Crypto
import HSMSyncModel
import PKCS11
import SignedLog

/// Fingerprints of public objects recomputed from their recorded attributes, exactly as the
/// inventory computes them from a token (SPKI for public keys, SHA-256 of `CKA_VALUE` for
/// certificates), so a bundle's record and a token's object compare.
enum BackupPublicObjects {
    static func fingerprint(of template: BackupTemplate) -> Fingerprint {
        if template.objectClass == "certificate" {
            guard let value = template.bytes("CKA_VALUE") else { return .unavailable(reason: "no CKA_VALUE") }
            return .available(method: .value, sha256: Array(SHA256.hash(data: value)).hexString)
        }
        let entries: [(type: AttributeType, status: AttributeStatus)] = template.attributes().compactMap { attribute in
            guard case .bytes(let bytes) = attribute.value else { return nil }
            return (attribute.type, .available(bytes))
        }
        return KeyRecord(AttributeSet(entries)).fingerprint
    }
}
