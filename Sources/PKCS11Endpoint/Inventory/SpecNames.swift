import Foundation
import HSMSyncModel
import PKCS11
import SignedLog

/// The short names reports use for spec constants (`secret-key`, `aes`, `P-256`).
enum SpecNames {
    static func objectClass(_ value: ObjectClass?) -> String {
        switch value {
        case .none: return "unknown"
        case .some(.secretKey): return "secret-key"
        case .some(.privateKey): return "private-key"
        case .some(.publicKey): return "public-key"
        case .some(.certificate): return "certificate"
        case .some(.data): return "data"
        case .some(.hardwareFeature): return "hardware-feature"
        case .some(.domainParameters): return "domain-parameters"
        case .some(.mechanism): return "mechanism"
        case .some(let other):
            return other.isVendorDefined
                ? "vendor-defined(0x\(String(other.rawValue, radix: 16)))"
                : "class(0x\(String(other.rawValue, radix: 16)))"
        }
    }

    static func keyType(_ value: KeyType) -> String {
        switch value {
        case .aes: return "aes"
        case .rsa: return "rsa"
        case .ec: return "ec"
        case .ecEdwards: return "ec-edwards"
        case .genericSecret: return "generic-secret"
        case .des3: return "des3"
        default:
            let name = value.description
            return name.hasPrefix("CKK_")
                ? name.dropFirst(4).lowercased().replacingOccurrences(of: "_", with: "-") : name
        }
    }

    static let usage: [(AttributeType, String)] = [
        (.encrypt, "encrypt"), (.decrypt, "decrypt"), (.sign, "sign"), (.verify, "verify"), (.wrap, "wrap"),
        (.unwrap, "unwrap"), (.derive, "derive"), (.signRecover, "sign-recover"), (.verifyRecover, "verify-recover"),
    ]

    /// The model's name for a class.
    static func objectKind(_ value: ObjectClass?) -> ObjectKind { ObjectKind(rawValue: objectClass(value)) }

    /// The binding's class for a model name; `nil` for names that are not spec classes.
    static func objectClass(_ kind: ObjectKind) -> ObjectClass? {
        switch kind {
        case .secretKey: return .secretKey
        case .privateKey: return .privateKey
        case .publicKey: return .publicKey
        case .certificate: return .certificate
        case .data: return .data
        default: return nil
        }
    }

    /// The model's name for a key type.
    static func keyAlgorithm(_ value: KeyType) -> KeyAlgorithm { KeyAlgorithm(rawValue: keyType(value)) }

    /// The binding's key type for a model name; `nil` for types hsmsync never creates.
    static func keyType(_ algorithm: KeyAlgorithm) -> KeyType? {
        switch algorithm {
        case .aes: return .aes
        case .genericSecret: return .genericSecret
        case .rsa: return .rsa
        case .ec: return .ec
        case .ecEdwards: return .ecEdwards
        case .des3: return .des3
        default: return nil
        }
    }

    /// The binding's attribute type for a model name (every name the model defines is a spec name).
    static func attributeType(_ name: AttributeName) -> AttributeType {
        guard let type = AttributeType(specName: name.rawValue) else {
            preconditionFailure("\(name) is not an attribute the system header names")
        }
        return type
    }

    /// The binding's mechanism for a model name, when the binding knows the name.
    static func mechanismType(_ name: MechanismName) -> MechanismType? { MechanismType(specName: name.rawValue) }

    /// The model's name for a mechanism.
    static func mechanismName(_ type: MechanismType) -> MechanismName { MechanismName(rawValue: type.description) }
}
