/// How a host-held transport key was brought into an HSM (DESIGN.md decision: `C_UnwrapKey` under
/// an ephemeral RSA-OAEP key made inside the target HSM where the token allows it, else `C_CreateObject`).
public enum TransportKeyImportMethod: Sendable, Hashable, Codable, CustomStringConvertible {
    /// `C_UnwrapKey` with `CKM_RSA_PKCS_OAEP` under an ephemeral RSA-3072 key pair generated in the
    /// HSM (session objects, UNWRAP only, non-extractable), the key encrypted on the host.
    case rsaOAEPUnwrap(hash: OAEPHash)
    /// `C_CreateObject` with the key as `CKA_VALUE` (the token cannot unwrap it with RSA-OAEP under the
    /// transport template).
    case createObject

    /// The OAEP hash (and MGF1 hash).
    public enum OAEPHash: String, Sendable, Hashable, Codable {
        case sha1 = "SHA-1"
        case sha256 = "SHA-256"
    }

    /// The PKCS#11 call and mechanism, for the audit log (`C_UnwrapKey/CKM_RSA_PKCS_OAEP/SHA-256`).
    public var mechanism: String {
        switch self {
        case .rsaOAEPUnwrap(let hash): return "C_UnwrapKey/CKM_RSA_PKCS_OAEP/\(hash.rawValue)"
        case .createObject: return "C_CreateObject"
        }
    }

    public var description: String {
        switch self {
        case .rsaOAEPUnwrap(.sha256):
            return "C_UnwrapKey with CKM_RSA_PKCS_OAEP (SHA-256, MGF1-SHA-256) under an ephemeral RSA-3072 key "
                + "generated in the HSM"
        case .rsaOAEPUnwrap(.sha1):
            return "C_UnwrapKey with CKM_RSA_PKCS_OAEP (SHA-1, MGF1-SHA-1: the token refused SHA-256 OAEP, as "
                + "SoftHSM2 does) under an ephemeral RSA-3072 key generated in the HSM"
        case .createObject:
            return "C_CreateObject (the token cannot unwrap it with RSA-OAEP): the key value was passed in the "
                + "clear to the token's library"
        }
    }
}

/// Which import path to take.
public enum TransportKeyImportPreference: Sendable, Hashable {
    /// RSA-OAEP unwrap when the token's mechanism list allows it, else `C_CreateObject` (decided from
    /// the mechanism list before the key is touched, never after a failed attempt).
    case automatic
    /// `C_CreateObject` even when unwrap is possible (tokens whose unwrap is known to misbehave; tests).
    case createObject
    /// RSA-OAEP unwrap even when the probe shows that the unwrapped key would break the policy (tests
    /// of the read-back; the install then fails and removes the key).
    case rsaOAEPUnwrap
}
