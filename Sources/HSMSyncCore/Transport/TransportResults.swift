public import HSMSyncModel
public import SLIP39
import SignedLog

/// The HSM an operation worked on, as the audit log records it: fleet name and token identity.
public struct TransportTokenIdentity: Sendable, Hashable, Codable {
    /// The HSM's fleet name.
    public let hsm: String
    /// The token's label, serial number, model and manufacturer (`C_GetTokenInfo`).
    public let tokenLabel: String
    public let tokenSerial: String
    public let model: String
    public let manufacturer: String

    public init(hsm: String, tokenLabel: String, tokenSerial: String, model: String, manufacturer: String) {
        self.hsm = hsm
        self.tokenLabel = tokenLabel
        self.tokenSerial = tokenSerial
        self.model = model
        self.manufacturer = manufacturer
    }
}

extension InventoryEndpoint {
    /// The endpoint's HSM and token, for results and the audit log.
    public func transportIdentity() async -> TransportTokenIdentity {
        let token = await token()
        return TransportTokenIdentity(
            hsm: name, tokenLabel: token?.label ?? "", tokenSerial: token?.serialNumber ?? "",
            model: token?.model ?? "", manufacturer: token?.manufacturer ?? "")
    }
}

/// What ``TransportKeyCreation/generate(on:)`` produced: the key and its shares, still only on the
/// host. Nothing is installed yet; the caller delivers the shares, then installs.
public final class GeneratedTransportKey: Sendable {
    /// The key and its check values.
    public let material: TransportKeyMaterial
    /// The custodians' shares, in custodian order (share *i* goes to custodian *i*).
    public let shares: [MnemonicShare]
    /// Where the randomness came from.
    public let generatedOn: TransportTokenIdentity
    /// The label the key is meant for.
    public let label: String

    init(material: TransportKeyMaterial, shares: [MnemonicShare], generatedOn: TransportTokenIdentity, label: String) {
        self.material = material
        self.shares = shares
        self.generatedOn = generatedOn
        self.label = label
    }

    /// The public facts, for the audit log (`transport.generate`): no key, no share.
    public var summary: TransportKeyGenerationSummary {
        TransportKeyGenerationSummary(
            hsm: generatedOn, label: label, kcv: material.kcv.hex, kcvWords: material.kcv.words,
            checkValue: material.checkValue, shareSet: material.shareSet, randomSource: "C_GenerateRandom")
    }
}

/// The public record of a key generation and split (audit entry `transport.generate`).
public struct TransportKeyGenerationSummary: Sendable, Hashable, Codable {
    public let hsm: TransportTokenIdentity
    public let label: String
    public let kcv: String
    public let kcvWords: [String]
    public let checkValue: String
    public let shareSet: ShareSetSummary
    /// Where the key and share randomness came from (`C_GenerateRandom` on ``hsm``).
    public let randomSource: String
}

/// The public record of a transport key installed from host memory and read back (audit entry
/// `transport.install`): everything the log needs, nothing secret.
public struct TransportKeyInstallResult: Sendable, Hashable, Codable {
    /// The HSM and token.
    public let hsm: TransportTokenIdentity
    /// The transport label.
    public let label: String
    /// The custodians' key check value (hex and words).
    public let kcv: String
    public let kcvWords: [String]
    /// The transport check value, computed in the HSM and equal to the host's.
    public let checkValue: String
    /// The share set the key came from.
    public let shareSet: ShareSetSummary
    /// How the key entered the HSM.
    public let importMethod: TransportKeyImportMethod
    /// SHA-256 of the ephemeral RSA import key's SubjectPublicKeyInfo (RSA-OAEP only).
    public let importKeyFingerprint: String?
    /// The key as read back from the HSM (attributes, no value).
    public let record: KeyRecord
    /// Things the operator must know (SHA-1 OAEP, a create-object import).
    public let warnings: [String]
    /// `installed` (results exist only for successful installs; failures are ``TransportError``s).
    public let outcome: String
}

/// The public record of an agreement (audit entry `transport.agree`).
public struct TransportAgreementResult: Sendable, Hashable, Codable {
    public let from: TransportTokenIdentity
    public let to: TransportTokenIdentity
    public let label: String
    /// `P-384` or `P-256`.
    public let curve: String
    /// `CKD_SHA256_KDF` or `CKD_NULL`.
    public let kdf: String
    /// Whether the derivation is an SP 800-56C key derivation (false for `CKD_NULL`).
    public let isSP800_56C: Bool
    /// SHA-256 of each side's ephemeral public point (uncompressed X9.63 encoding), for the record.
    public let fromEphemeralPoint: String
    public let toEphemeralPoint: String
    /// The transport check value both HSMs computed (key confirmation).
    public let checkValue: String
    /// The keys as read back from each HSM.
    public let fromRecord: KeyRecord
    public let toRecord: KeyRecord
    /// Things the operator must know (the non-SP 800-56C KDF).
    public let warnings: [String]
    /// `agreed`.
    public let outcome: String
}
