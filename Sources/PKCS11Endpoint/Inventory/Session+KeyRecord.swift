public import HSMSyncModel
public import PKCS11
import SignedLog

extension Session {
    /// Reads one object for the inventory: one `C_GetAttributeValue` for everything (attributes
    /// the object's class does not define are not chased), public-key fingerprints computed on the
    /// host from public attributes. Secret material is never read.
    ///
    /// Secret keys and EC private keys leave with ``Fingerprint/unavailable(reason:)``; the scanner
    /// fills those in (transport wrap, CMAC, pairing by `CKA_ID`).
    public func keyRecord(of object: ObjectHandle) throws(PKCS11Error) -> KeyRecord {
        let set = try attributes(InventoryAttributes.all, of: object) { type, known in
            !InventoryAttributes.isDefined(type, for: known)
        }
        return KeyRecord(set)
    }
}

extension KeyRecord {
    /// Builds a record from an inventory read.
    init(_ set: AttributeSet) {
        let objectClass = set.objectClass
        let keyType = set.keyType
        var oddities: [String] = []
        if objectClass == nil {
            oddities.append(KeyRecord.unreadableClass)
        } else if objectClass?.isVendorDefined == true {
            oddities.append("vendor-defined object class")
        }
        let isKey = [ObjectClass.secretKey, .privateKey, .publicKey].contains(objectClass)
        if isKey && keyType == nil {
            oddities.append("a key without a readable CKA_KEY_TYPE")
        }
        let label = set.string(.label)
        let id = set.bytes(.id)
        if (label ?? "").isEmpty && (id ?? []).isEmpty && objectClass != .data {
            oddities.append("no CKA_LABEL and no CKA_ID")
        }

        var size: Int?
        var curve: NamedCurve?
        var fingerprint = Fingerprint.unavailable(reason: "not computed")
        switch keyType {
        case .some(.aes), .some(.genericSecret), .some(.des3):
            // SoftHSM2 2.6.1 leaves CKA_VALUE_LEN at 0 on every key it unwraps: an unknown size, not
            // a missing value. Ghosts of failed unwraps are recognised by having no label and no ID.
            if let length = set.ulong(.valueLength), length > 0 {
                size = Int(length) * 8
            }
        case .some(.rsa):
            if let modulus = set.bytes(.modulus) {
                size = Self.bitLength(modulus)
                if let exponent = set.bytes(.publicExponent) {
                    fingerprint = PublicKeyFingerprint.rsa(modulus: modulus, publicExponent: exponent)
                }
            }
        case .some(.ec), .some(.ecEdwards):
            if let parameters = set.bytes(.ecParams) {
                curve = NamedCurve.from(ecParams: parameters)
                size = curve?.bits
                if curve == nil {
                    fingerprint = .unavailable(reason: "unsupported curve (CKA_EC_PARAMS \(parameters.hexString))")
                }
            }
            if curve != nil, let parameters = set.bytes(.ecParams), let point = set.bytes(.ecPoint) {
                fingerprint = PublicKeyFingerprint.ec(parameters: parameters, point: point)
            }
        default:
            break
        }

        let mechanisms = set.allowedMechanisms ?? []
        self.init(
            objectClass: SpecNames.objectKind(objectClass),
            keyType: keyType.map(SpecNames.keyAlgorithm),
            size: size,
            curve: curve?.name,
            label: label,
            id: id?.hexString,
            usage: SpecNames.usage.filter { set.bool($0.0) == true }.map(\.1),
            attributes: PolicyAttributes(
                token: set.bool(.token), private: set.bool(.private), modifiable: set.bool(.modifiable),
                copyable: set.bool(.copyable), destroyable: set.bool(.destroyable), sensitive: set.bool(.sensitive),
                extractable: set.bool(.extractable), wrapWithTrusted: set.bool(.wrapWithTrusted),
                trusted: set.bool(.trusted)),
            provenance: Provenance(
                local: set.bool(.local), alwaysSensitive: set.bool(.alwaysSensitive),
                neverExtractable: set.bool(.neverExtractable)),
            allowedMechanisms: mechanisms.isEmpty ? nil : mechanisms.map(\.description),
            fingerprint: fingerprint,
            oddities: oddities)
    }

    /// Bits of a big-endian magnitude.
    static func bitLength(_ bytes: [UInt8]) -> Int {
        guard let first = bytes.firstIndex(where: { $0 != 0 }) else { return 0 }
        return (bytes.count - first - 1) * 8 + (8 - bytes[first].leadingZeroBitCount)
    }
}
