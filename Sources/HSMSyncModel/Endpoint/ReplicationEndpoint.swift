/// The replication protocol's steps on one HSM (the architecture's steps 2, 4–6): wrap a key
/// under the transport key into an envelope on the source; stage, verify and promote an envelope on
/// the destination. Both sides read their transport key's attributes back before using it.
public protocol ReplicationEndpoint: Sendable {
    /// Wraps `identity` (and reads its public key object `publicKey`, when it travels along) under
    /// the transport key the last scan found, and seals the envelope.
    ///
    /// - Parameters:
    ///   - fingerprint: the source fingerprint from the scan (bound to the blob or public key).
    ///   - transportCheckValue: the source transport key's check value from the scan.
    ///   - requireWrapWithTrusted: refuse a key without `CKA_WRAP_WITH_TRUSTED` (fleet policy).
    ///   - method: the wrap method negotiated with the destination (`nil`: security rule R7's for the
    ///     key, as between two SoftHSM2 tokens).
    func seal(
        _ identity: KeyIdentity, publicKey: KeyIdentity?, fingerprint: Fingerprint, transportCheckValue: String,
        opID: String, requireWrapWithTrusted: Bool, method: WrapMethod?
    ) async throws(ReplicationError) -> KeyEnvelope

    /// Stages a verified envelope as session objects, proves the copy (read-back, re-wrap, public
    /// key, sign/verify), promotes it to the token and reads it back; destroys what it created when
    /// any check fails. The identity is looked up again right before the unwrap.
    ///
    /// - Parameter presentPublicKey: the token already holds the envelope's public key object.
    func install(_ envelope: KeyEnvelope, presentPublicKey: Bool) async throws(ReplicationError) -> InstalledKey

    /// The complete template of the object `identity` (as the last scan found it).
    func keyTemplate(of identity: KeyIdentity) async throws(ReplicationError) -> KeyTemplate

    /// Creates a public key object from its template (nothing secret: no wrapping) and proves it by
    /// fingerprint.
    func installPublicKey(_ template: KeyTemplate, fingerprint: Fingerprint) async throws(ReplicationError)
        -> InstalledKey

    /// Destroys the one object the last scan found under `identity` (recovery's torn copies).
    func destroy(_ identity: KeyIdentity) async throws

    /// Destroys the objects under `identity` (as the last scan found them) whose attributes still
    /// cannot be read now: torn object files. Returns how many went.
    func destroyUnreadable(_ identity: KeyIdentity) async -> Int
}
