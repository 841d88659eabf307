import HSMSyncModel
public import PKCS11

/// Vendor-defined attributes hsmsync sets where a token needs them (found by probing, never by
/// the token's name).
public enum VendorAttribute {
    /// NSS softoken's `CKA_NSS_DB` (0xD5A0DB00): the public value it indexes a private key by.
    /// Unwrapping an EC private key without it answers `CKR_TEMPLATE_INCOMPLETE`; it takes the raw
    /// point `04 ‖ X ‖ Y` (an RSA key's is the modulus, which NSS fills in itself).
    public static let publicValue = AttributeType(rawValue: 0xD5A0_DB00)

    /// The public value attribute for an EC private key whose public key has `CKA_EC_PARAMS` and
    /// `CKA_EC_POINT` (DER octet string or raw), both hex; `nil` when they do not decode.
    public static func ecPublicValue(ecParamsHex: String?, ecPointHex: String?) -> Attribute? {
        guard let parameters = ecParamsHex.flatMap(Hex.decode), let point = ecPointHex.flatMap(Hex.decode),
            let curve = NamedCurve.from(ecParams: parameters), let raw = curve.rawPoint(from: point)
        else { return nil }
        return .bytes(publicValue, raw)
    }
}
