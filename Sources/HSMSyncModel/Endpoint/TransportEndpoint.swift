public import SecureMemory

/// The fleet's transport key on one HSM: inspect it, bring a host-held key in, agree one with
/// another HSM by ECDH. Every operation that creates an object refuses when anything already
/// carries the label (hsmsync never replaces a transport key), and undoes what it created when a
/// later check fails. Failures are ``TransportError``s.
public protocol TransportEndpoint: Sendable {
    /// What the token holds under `label`: how many objects, the key's policy and its check value.
    func inspectTransportKey(label: String) async throws -> TransportKeyInspection

    /// Checks, without changing anything, that nothing carries `label` and that the token can hold
    /// a transport key (AES key generation and key wrap offered).
    func checkTransportKeyInstallable(label: String) async throws

    /// `count` bytes from the token's random generator, in locked, wiped memory.
    func randomBytes(count: Int) async throws -> SecretBytes

    /// Imports `key` as the transport key — `C_UnwrapKey` under an ephemeral RSA-OAEP key pair made
    /// in the token where `preference` and the token allow, else `C_CreateObject` — reads it back and
    /// confirms one object, no policy violation and `expectedCheckValue`. On failure the objects this
    /// call created are destroyed and the error says so.
    func installTransportKey(
        _ key: SecretBox, label: String, preference: TransportKeyImportPreference, expectedCheckValue: String
    ) async throws -> TransportKeyImport

    /// The agreement curves the token can generate and derive with, after checking that nothing
    /// carries `label`.
    func agreementCurves(transportLabel label: String) async throws -> Set<AgreementCurve>

    /// Generates this agreement's ephemeral EC key pair (session objects, DERIVE only), found again by
    /// `id`, and probes `CKD_SHA256_KDF`.
    func makeEphemeralKey(curve: AgreementCurve, id: [UInt8]) async throws -> EphemeralAgreementKey

    /// Derives a session copy of the agreed key from the ephemeral key `id` and the (validated) peer
    /// key, returns its transport check value and destroys it: key confirmation before anything lasts.
    func agreedKeyCheckValue(
        ephemeralID id: [UInt8], peer: EphemeralAgreementKey, peerName: String, curve: AgreementCurve,
        kdf: AgreementKDF, sharedData: [UInt8]
    ) async throws -> String

    /// Derives the agreed key as the token's transport key under `label`, reads it back and confirms
    /// one object, no violation and `expectedCheckValue`; destroys it on any failure.
    func installAgreedKey(
        ephemeralID id: [UInt8], peer: EphemeralAgreementKey, peerName: String, curve: AgreementCurve,
        kdf: AgreementKDF, sharedData: [UInt8], label: String, expectedCheckValue: String
    ) async throws -> KeyRecord

    /// Destroys the transport key this run installed under `label` (the other side failed); says what
    /// it did, for the error the operator reads.
    func destroyInstalledTransportKey(label: String) async -> String

    /// Destroys this agreement's ephemeral key pair (best effort: session objects vanish anyway).
    func destroyEphemeralKey(id: [UInt8]) async
}

/// How a host-held transport key went into a token, as read back.
public struct TransportKeyImport: Sendable, Hashable {
    public let method: TransportKeyImportMethod
    /// SHA-256 of the ephemeral RSA import key's SPKI, when one was used.
    public let importKeyFingerprint: String?
    /// Why RSA-OAEP unwrap was not used, when it was not.
    public let fallbackReason: String?
    /// The installed key, as read back.
    public let record: KeyRecord

    public init(
        method: TransportKeyImportMethod, importKeyFingerprint: String?, fallbackReason: String?, record: KeyRecord
    ) {
        self.method = method
        self.importKeyFingerprint = importKeyFingerprint
        self.fallbackReason = fallbackReason
        self.record = record
    }
}

/// What is wrong with a freshly installed transport key, as read back (empty: nothing).
public enum TransportKeyReadBack {
    public static func problems(_ inspection: TransportKeyInspection, objects: Int, expected checkValue: String)
        -> [String]
    {
        var problems = inspection.violations.map { "transport key \($0)" }
        if objects != 1 {
            problems.append("\(objects) objects carry the transport label after the import (expected 1)")
        }
        if let value = inspection.checkValue {
            if value != checkValue {
                problems.append("the HSM computes check value \(value), the host \(checkValue): not the same key")
            }
        } else {
            problems.append(inspection.checkValueUnavailable ?? "no check value")
        }
        return problems
    }
}
