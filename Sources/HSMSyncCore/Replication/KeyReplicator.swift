import Foundation
public import HSMSyncModel
import PKCS11
import SignedLog

/// The replication protocol of SECURITY.md §5 for one key and one destination, on two
/// ``HSMWorker``s that have scanned their tokens (``HSMWorker/scan(transportLabel:scope:progress:)``):
/// ``seal(_:publicKey:fingerprint:on:transportCheckValue:opID:)`` wraps on the source and builds the
/// envelope; ``install(_:on:transportCheckValue:presentPublicKey:)`` verifies it, stages, proves,
/// promotes and reads back on the destination.
///
/// Both sides re-read their transport key's attributes before using it (R1). Journaling, audit
/// entries and retries are the caller's (``ReconcileRun`` for `hsmsync reconcile`; `backup restore`
/// installs envelopes from a file the same way). An unwrap integrity failure is thrown as
/// ``ReplicationError/unwrapIntegrityFailure(hsm:code:)``: callers must never retry it.
public struct KeyReplicator: Sendable {
    public let policy: ReplicationPolicy

    public init(policy: ReplicationPolicy = ReplicationPolicy()) {
        self.policy = policy
    }

    /// Wraps the key `identity` (and reads its public key object `publicKey`, when it travels
    /// along) on `worker` and seals the envelope.
    ///
    /// - Parameters:
    ///   - fingerprint: the source fingerprint from the scan (bound to the blob or public key).
    ///   - transportCheckValue: the source transport key's check value from the scan.
    public func seal(
        _ identity: KeyIdentity, publicKey: KeyIdentity?, fingerprint: Fingerprint, on worker: HSMWorker,
        transportCheckValue: String, opID: String
    ) async throws(ReplicationError) -> KeyEnvelope {
        let hsm = worker.name
        guard let token = await worker.token else {
            throw .hsmFailure(hsm: hsm, operation: "wrapping \(identity)", error: "not open", outcomeUnknown: false)
        }
        let source = KeyEnvelope.Source(hsm: hsm, tokenSerial: token.serialNumber, tokenLabel: token.label)
        let policy = policy
        let identities = [identity] + (publicKey.map { [$0] } ?? [])
        return try await Self.run(hsm: hsm, "wrapping \(identity)") {
            try await worker.withObjects(identities) { session, handles, transport throws(ReplicationError) in
                guard let transport else {
                    throw .transportKeyRefused(hsm: hsm, problems: ["is missing (or ambiguous)"])
                }
                try TransportKeyGate.check(session, transportKey: transport, hsm: hsm)
                let template = try Self.template(session, handles[0], hsm: hsm)
                guard template.flag(.extractable) else {
                    throw .unsupportedKey(identity.description, reason: "CKA_EXTRACTABLE is false (unsyncable)")
                }
                if policy.requireWrapWithTrusted && !template.flag(.wrapWithTrusted) {
                    throw .refusedByPolicy("\(identity) lacks CKA_WRAP_WITH_TRUSTED (policy requireWrapWithTrusted)")
                }
                let publicTemplate = handles.count > 1 ? try Self.template(session, handles[1], hsm: hsm) : nil
                let (mechanism, blob) = try session.wrapForReplication(
                    handles[0], template: template, transportKey: transport, hsm: hsm)
                return KeyEnvelope(
                    opID: opID, source: source, key: template, publicKey: publicTemplate, fingerprint: fingerprint,
                    transportCheckValue: transportCheckValue, mechanism: mechanism.description, wrappedKey: blob)
            }
        }
    }

    /// Verifies `envelope` against the destination's transport check value and the policy, then
    /// stages, proves, promotes and reads back on `worker`.
    ///
    /// The check value is the one `worker`'s last scan measured on the very transport key object it
    /// unwraps with (the scan's handle): an object's value cannot change, so a transport key replaced
    /// since the scan is a different handle and fails, never a silent unwrap under another key.
    ///
    /// - Parameter presentPublicKey: the destination already holds the envelope's public key object.
    public func install(_ envelope: KeyEnvelope, on worker: HSMWorker, presentPublicKey: Bool = false)
        async throws(ReplicationError) -> InstalledKey
    {
        let hsm = worker.name
        let destinationValue = await worker.scannedTransportCheckValue
        if let destinationValue {
            try envelope.verify(transportCheckValue: destinationValue, destination: hsm, policy: policy)
        }
        return try await Self.run(hsm: hsm, "installing \(envelope.key.identity)") {
            try await worker.withTransportKey { session, transport throws(ReplicationError) in
                try TransportKeyGate.check(session, transportKey: transport, hsm: hsm)
                // A key that passes the gate but had no check value in the scan is never unwrapped under.
                guard destinationValue != nil else {
                    throw .transportKeyRefused(hsm: hsm, problems: ["had no check value in the last scan"])
                }
                return try session.installVerifiedEnvelope(
                    envelope, transportKey: transport, hsm: hsm, presentPublicKey: presentPublicKey)
            }
        }
    }

    /// Reads the public key object `identity` on `source` and creates it on `destination` (a public
    /// key missing on its own: it holds nothing secret and is not wrapped).
    public func copyPublicKey(
        _ identity: KeyIdentity, fingerprint: Fingerprint, from source: HSMWorker, to destination: HSMWorker
    ) async throws(ReplicationError) -> InstalledKey {
        let sourceName = source.name
        let template = try await Self.run(hsm: sourceName, "reading \(identity)") {
            try await source.withObjects([identity]) { session, handles, _ throws(ReplicationError) in
                try Self.template(session, handles[0], hsm: sourceName)
            }
        }
        let hsm = destination.name
        return try await Self.run(hsm: hsm, "creating \(identity)") {
            try await destination.withSession { session throws(ReplicationError) in
                try session.installPublicKey(template, fingerprint: fingerprint, hsm: hsm)
            }
        }
    }

    private static func template(_ session: borrowing Session, _ handle: ObjectHandle, hsm: String)
        throws(ReplicationError) -> KeyTemplate
    {
        do {
            return try session.keyTemplate(of: handle)
        } catch let error as ReplicationError {
            throw error
        } catch {
            throw .hsmFailure(
                hsm: hsm, operation: "reading a key's attributes", error: "\(error)", outcomeUnknown: false)
        }
    }

    /// Runs worker work, turning the worker's untyped errors into ``ReplicationError``.
    private static func run<T: Sendable>(hsm: String, _ operation: String, _ body: () async throws -> T)
        async throws(ReplicationError) -> T
    {
        do {
            return try await body()
        } catch let error as ReplicationError {
            throw error
        } catch let error as PKCS11Error {
            throw .hsmFailure(
                hsm: hsm, operation: operation, error: "\(error)", outcomeUnknown: error.code.leavesOutcomeUnknown)
        } catch {
            throw .hsmFailure(hsm: hsm, operation: operation, error: "\(error)", outcomeUnknown: false)
        }
    }
}
