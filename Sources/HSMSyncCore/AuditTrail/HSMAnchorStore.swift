import Foundation
import PKCS11

/// Keeps the log's last signed (size, root) in a `CKO_DATA` object on the log key's token
/// (AUDIT-LOG.md §4), outside the log files: a log whose files were rolled back cannot be signed on
/// from the rolled-back state.
public final class HSMAnchorStore: CheckpointAnchorStore {
    private let worker: HSMWorker
    private let label: String

    /// - Parameter origin: the log's origin; the object is labelled `hsmsync-log-anchor <origin>`.
    public init(worker: HSMWorker, origin: String) {
        self.worker = worker
        self.label = "hsmsync-log-anchor \(origin)"
    }

    public func load() async throws -> TreeHead? {
        let label = label
        let value: [UInt8]? = try await worker.withSession { session in
            let objects = try session.findObjects(matching: [.class(.data), .label(label)])
            guard objects.count <= 1 else { throw AuditTrailError.anchorAmbiguous(label: label, count: objects.count) }
            return try objects.first.flatMap { try session.attributes([.value], of: $0).bytes(.value) }
        }
        guard let value else { return nil }
        let parts = String(decoding: value, as: UTF8.self).split(separator: " ")
        guard parts.count == 2, let size = UInt64(parts[0]), let root = MerkleHash(hex: String(parts[1])) else {
            throw AuditTrailError.anchorUnreadable(label: label)
        }
        return TreeHead(size: size, rootHash: root)
    }

    public func store(_ head: TreeHead) async throws {
        let label = label
        let value = Array("\(head.size) \(head.rootHash.hex)".utf8)
        try await worker.withSession { session in
            let objects = try session.findObjects(matching: [.class(.data), .label(label)])
            if let object = objects.first {
                try session.setAttributes([.bytes(.value, value)], of: object)
            } else {
                _ = try session.createObject([
                    .class(.data), .bool(.token, true), .bool(.private, true), .label(label),
                    .bytes(.application, Array("hsmsync".utf8)), .bytes(.value, value),
                ])
            }
        }
    }
}
