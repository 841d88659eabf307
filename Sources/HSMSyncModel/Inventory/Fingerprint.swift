/// A digest that stands for a key's material without revealing it (DESIGN.md "fingerprints").
///
/// Two fingerprints are comparable only when computed the same way: SPKI digests always are;
/// transport-wrap digests only under transport keys with the same check value.
public enum Fingerprint: Sendable, Hashable {
    /// The digest and how it was obtained.
    case available(method: Method, sha256: String)
    /// No fingerprint, and why (never a guess).
    case unavailable(reason: String)

    /// How a fingerprint was computed.
    public enum Method: Sendable, Hashable, CustomStringConvertible {
        /// SHA-256 of the DER SubjectPublicKeyInfo (public keys, RSA private keys, and private keys
        /// paired with their public key object by `CKA_ID`).
        case subjectPublicKeyInfo
        /// SHA-256 of `CKM_AES_KEY_WRAP` of the key under the transport key whose check value is given
        /// (RFC 3394 is deterministic: equal keys under equal transport keys give equal blobs).
        case transportWrap(transportCheckValue: String)
        /// SHA-256 of an AES-CMAC over a zero block, computed in the HSM (needs `CKA_SIGN`).
        case cmac
        /// SHA-256 of an AES-ECB encryption of a zero block, computed in the HSM (needs `CKA_ENCRYPT`).
        case encryptZeroBlock
        /// SHA-256 of a certificate's or data object's `CKA_VALUE`.
        case value

        /// The name reports use: `spki`, `transport-wrap:0a1b…`, `cmac`, `ecb-kcv`, `value`.
        public var description: String {
            switch self {
            case .subjectPublicKeyInfo: return "spki"
            case .transportWrap(let checkValue): return "transport-wrap:\(checkValue)"
            case .cmac: return "cmac"
            case .encryptZeroBlock: return "ecb-kcv"
            case .value: return "value"
            }
        }
    }

    /// The digest when available.
    public var digest: String? {
        if case .available(_, let sha256) = self { return sha256 }
        return nil
    }

    /// The method when available.
    public var method: Method? {
        if case .available(let method, _) = self { return method }
        return nil
    }
}

extension Fingerprint: Codable {
    private enum CodingKeys: String, CodingKey { case method, sha256, unavailable }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .available(let method, let sha256):
            try container.encode(method.description, forKey: .method)
            try container.encode(sha256, forKey: .sha256)
        case .unavailable(let reason):
            try container.encode(reason, forKey: .unavailable)
        }
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        if let reason = try container.decodeIfPresent(String.self, forKey: .unavailable) {
            self = .unavailable(reason: reason)
            return
        }
        let name = try container.decode(String.self, forKey: .method)
        let sha256 = try container.decode(String.self, forKey: .sha256)
        let method: Method
        switch name {
        case "spki": method = .subjectPublicKeyInfo
        case "cmac": method = .cmac
        case "ecb-kcv": method = .encryptZeroBlock
        case "value": method = .value
        default:
            guard name.hasPrefix("transport-wrap:") else {
                throw DecodingError.dataCorruptedError(
                    forKey: .method, in: container, debugDescription: "unknown method \(name)")
            }
            method = .transportWrap(transportCheckValue: String(name.dropFirst("transport-wrap:".count)))
        }
        self = .available(method: method, sha256: sha256)
    }
}
