public import HSMSyncModel
public import SignedLog

/// A bundle written as `backup create` and a ceremony's `backup-create` step write it.
public struct BackupCreated: Sendable {
    public let content: BackupContent
    /// The bundle file's bytes (their SHA-256 is what the log records).
    public let bytes: [UInt8]
    public let path: String
    /// The key that signed it.
    public let signer: VerifierKey

    public var digest: AuditDigest { .sha256(of: bytes) }
}

extension BackupCreation {
    /// ``create(from:signer:at:)``, recorded as `backup.create` — or its failure — in `trail`.
    public func create(
        from endpoint: any HSMEndpoint, signer: any AuditSigner, at path: String, trail: AuditTrail
    ) async throws -> BackupCreated {
        let entries = BackupEntries(actor: trail.actor)
        let content: BackupContent
        let bytes: [UInt8]
        do {
            (content, bytes) = try await create(from: endpoint, signer: signer, at: path)
        } catch {
            try await trail.record(entries.createFailed(hsm: endpoint.name, error: error))
            throw error
        }
        try await trail.record(entries.created(content, bytes: bytes, path: path, signer: signer.verifierKey))
        return BackupCreated(content: content, bytes: bytes, path: path, signer: signer.verifierKey)
    }
}
