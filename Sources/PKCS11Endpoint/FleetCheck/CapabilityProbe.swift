public import HSMSyncModel
public import PKCS11
import SignedLog

/// A mechanism hsmsync relies on, why, and the capability flags that use needs.
public struct ReliedMechanism: Sendable, Hashable {
    public let mechanism: MechanismType
    public let purpose: String
    public let neededFlags: MechanismInfo.Flags

    /// The mechanisms `fleet check` probes (DESIGN.md, issue 2).
    public static let all: [ReliedMechanism] = [
        ReliedMechanism(
            mechanism: .aesKeyWrap, purpose: "key transport, secret-key fingerprints (RFC 3394)",
            neededFlags: [.wrap, .unwrap]),
        ReliedMechanism(mechanism: .aesKeyWrapPad, purpose: "key transport (RFC 5649)", neededFlags: [.wrap, .unwrap]),
        ReliedMechanism(mechanism: .aesCMAC, purpose: "check values", neededFlags: [.sign]),
        ReliedMechanism(
            mechanism: .ecdsa, purpose: "key-pair checks, HSM log key (P-256)", neededFlags: [.sign, .verify]),
        ReliedMechanism(mechanism: .eddsa, purpose: "HSM log key (Ed25519)", neededFlags: [.sign, .verify]),
        ReliedMechanism(mechanism: .ecdh1Derive, purpose: "HSM-to-HSM transport key agreement", neededFlags: [.derive]),
        ReliedMechanism(
            mechanism: .rsaPKCSOAEP, purpose: "importing a custodian-held transport key", neededFlags: [.unwrap]),
    ]
}

extension Session {
    /// Probes the mechanisms hsmsync relies on: `C_GetMechanismList`, then `C_GetMechanismInfo`
    /// for each one listed.
    public func probeMechanisms() throws(PKCS11Error) -> [MechanismSupport] {
        let listed = Set(try module.mechanisms(slot))
        return try ReliedMechanism.all.map { (relied) throws(PKCS11Error) -> MechanismSupport in
            guard listed.contains(relied.mechanism) else {
                return MechanismSupport(
                    name: relied.mechanism.description, purpose: relied.purpose, available: false, flags: [],
                    sufficient: false, keySizes: nil)
            }
            let info = try module.mechanismInfo(relied.mechanism, slot: slot)
            return MechanismSupport(
                name: relied.mechanism.description, purpose: relied.purpose, available: true, flags: info.flags.names,
                sufficient: info.flags.isSuperset(of: relied.neededFlags),
                keySizes: .init(minimum: info.minimumKeySize, maximum: info.maximumKeySize))
        }
    }
}
