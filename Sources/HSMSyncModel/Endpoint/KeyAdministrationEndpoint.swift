public import SecureMemory

/// Key work outside replication: the signed log's HSM-held key and its anchor object, and what key
/// ceremonies do to keys (generate, destroy, stand in for them in a rehearsal).
public protocol KeyAdministrationEndpoint: Sendable {
    /// The public half of the key pair labelled `label` (one private and one public key object),
    /// or `nil` when the token does not hold exactly that pair.
    func logKey(label: String) async throws -> HSMPublicKey?

    /// Signs `message` with the private key labelled `label` (`CKM_EDDSA` for Ed25519; `CKM_ECDSA`
    /// over the message as given — the caller hashes — for P-256), returning the raw signature.
    func sign(_ message: [UInt8], keyLabel label: String, mechanism: MechanismName) async throws -> [UInt8]

    /// Generates a log key pair under `label`: Ed25519 where the token offers it, else ECDSA P-256;
    /// sensitive, not extractable, SIGN only. Refused when an object already carries the label.
    ///
    /// - Returns: the curve chosen (`Ed25519`, `P-256`).
    func generateLogKey(label: String) async throws -> String

    /// The `CKA_VALUE` of every data object labelled `label`.
    func dataObjectValues(label: String) async throws -> [[UInt8]]

    /// Creates a private data object labelled `label` holding `value`, then destroys the ones that
    /// carried the label before (this order never leaves the token without one).
    func replaceDataObject(label: String, value: [UInt8]) async throws

    /// Generates the key (an AES key, or an EC or RSA pair) with exactly the template `spec` spells
    /// out, refusing when an object already carries the label; returns the (private) key's record.
    func generateKey(_ spec: KeyGenerationSpec) async throws -> KeyRecord

    /// How many objects of each of `classes` carry `label` and `id` (an empty `id`: any).
    func countObjects(classes: [ObjectKind], label: String, id: [UInt8]) async throws -> [Int]

    /// Destroys, when each of `classes` has exactly one object with `label` and `id` (found again
    /// now), those objects; otherwise destroys nothing. Returns the counts found (all 1: destroyed).
    func destroyOneEach(classes: [ObjectKind], label: String, id: [UInt8]) async throws -> [Int]

    /// Creates a transport-key-shaped key (locked down: WRAP/UNWRAP only) with a known value: a
    /// rehearsal's stand-in, on a throwaway token only.
    func createStandInTransportKey(label: String, value: SecretBox) async throws

    /// Creates a stand-in for `record` (same class, type, size or curve, label, `CKA_ID`, usage and
    /// extractability): a rehearsal's, on a throwaway token only. Its material is `material` when
    /// given (the same on every scratch token whose real HSM holds the same key), else generated in
    /// the token. `false` for a type it cannot stand in for.
    func createStandIn(for record: KeyRecord, material: StandInMaterial?) async throws -> Bool
}

/// A public key as a token holds it: its key type, curve parameters and point.
public struct HSMPublicKey: Sendable, Hashable {
    public let keyType: KeyAlgorithm
    /// `CKA_EC_PARAMS`.
    public let parameters: [UInt8]
    /// `CKA_EC_POINT`.
    public let point: [UInt8]

    public init(keyType: KeyAlgorithm, parameters: [UInt8], point: [UInt8]) {
        self.keyType = keyType
        self.parameters = parameters
        self.point = point
    }
}
