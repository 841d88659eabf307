import Foundation
public import HSMSyncModel
public import SignedLog

/// Keeps the log's last signed (size, root) in a `CKO_DATA` object on the log key's token
/// (AUDIT-LOG.md §4), outside the log files: a log whose files were rolled back cannot be signed on
/// from the rolled-back state.
public final class HSMAnchorStore: CheckpointAnchorStore {
    private let endpoint: any HSMEndpoint
    private let label: String

    /// - Parameter origin: the log's origin; the object is labelled `hsmsync-log-anchor <origin>`.
    public init(endpoint: any HSMEndpoint, origin: String) {
        self.endpoint = endpoint
        self.label = InfrastructureLabels.logAnchorPrefix + origin
    }

    public func load() async throws -> TreeHead? {
        let label = label
        let values = try await endpoint.dataObjectValues(label: label)
        // Two anchors only exist after a crash between `store`'s create and destroy: the larger
        // tree is the newer one (both were signed by this log).
        return try values.map { value in
            let parts = String(decoding: value, as: UTF8.self).split(separator: " ")
            guard parts.count == 2, let size = UInt64(parts[0]), let root = MerkleHash(hex: String(parts[1])) else {
                throw AuditTrailError.anchorUnreadable(label: label)
            }
            return TreeHead(size: size, rootHash: root)
        }.max { $0.size < $1.size }
    }

    /// Creates the new anchor, then destroys the old ones: CKA_VALUE of a data object is read-only
    /// on SoftHSM2 (and other tokens), and this order never leaves the token without an anchor.
    public func store(_ head: TreeHead) async throws {
        let label = label
        let value = Array("\(head.size) \(head.rootHash.hex)".utf8)
        try await endpoint.replaceDataObject(label: label, value: value)
    }
}
