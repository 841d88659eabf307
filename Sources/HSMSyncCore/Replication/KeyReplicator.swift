public import HSMSyncModel

/// The replication protocol (the architecture's steps 2, 4–6) for one key and one destination, on
/// two endpoints that have scanned their tokens: ``seal(_:publicKey:fingerprint:on:transportCheckValue:opID:)``
/// wraps on the source and builds the envelope; ``install(_:on:presentPublicKey:)`` verifies it
/// against the destination's scanned transport check value and the policy, then stages, proves,
/// promotes and reads back on the destination.
///
/// Journaling, audit entries and retries are the caller's (``ReconcileRun`` for `hsmsync
/// reconcile`). An unwrap integrity failure is thrown as
/// ``ReplicationError/unwrapIntegrityFailure(hsm:code:)``: callers must never retry it.
public struct KeyReplicator: Sendable {
    public let policy: ReplicationPolicy

    public init(policy: ReplicationPolicy = ReplicationPolicy()) {
        self.policy = policy
    }

    /// Wraps the key `identity` (and reads its public key object `publicKey`, when it travels
    /// along) on `source` and seals the envelope.
    ///
    /// - Parameters:
    ///   - fingerprint: the source fingerprint from the scan (bound to the blob or public key).
    ///   - transportCheckValue: the source transport key's check value from the scan.
    ///   - method: the wrap method the plan negotiated (`nil`: the rule's for the key).
    public func seal(
        _ identity: KeyIdentity, publicKey: KeyIdentity?, fingerprint: Fingerprint, on source: any HSMEndpoint,
        transportCheckValue: String, opID: String, method: WrapMethod? = nil
    ) async throws(ReplicationError) -> KeyEnvelope {
        try await source.seal(
            identity, publicKey: publicKey, fingerprint: fingerprint, transportCheckValue: transportCheckValue,
            opID: opID, requireWrapWithTrusted: policy.requireWrapWithTrusted, method: method)
    }

    /// Verifies `envelope` against the destination's transport check value and the policy, then
    /// stages, proves, promotes and reads back on `destination`.
    ///
    /// The check value is the one the destination's last scan measured on the very transport key
    /// object it unwraps with: an object's value cannot change, so a transport key replaced since
    /// the scan fails, never a silent unwrap under another key.
    ///
    /// - Parameter presentPublicKey: the destination already holds the envelope's public key object.
    public func install(_ envelope: KeyEnvelope, on destination: any HSMEndpoint, presentPublicKey: Bool = false)
        async throws(ReplicationError) -> InstalledKey
    {
        if let destinationValue = await destination.scannedTransportCheckValue() {
            try envelope.verify(transportCheckValue: destinationValue, destination: destination.name, policy: policy)
        }
        return try await destination.install(envelope, presentPublicKey: presentPublicKey)
    }

    /// Reads the public key object `identity` on `source` and creates it on `destination` (a public
    /// key missing on its own: it holds nothing secret and is not wrapped).
    public func copyPublicKey(
        _ identity: KeyIdentity, fingerprint: Fingerprint, from source: any HSMEndpoint,
        to destination: any HSMEndpoint
    ) async throws(ReplicationError) -> InstalledKey {
        let template = try await source.keyTemplate(of: identity)
        return try await destination.installPublicKey(template, fingerprint: fingerprint)
    }
}
