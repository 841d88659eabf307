import HSMSyncModel
public import SLIP39

extension ShareFileReader {
    /// What reading one share file said: a permission warning, or the share accepted.
    public enum Note: Sendable {
        case permissions(String)
        case accepted(path: String, number: Int, metadata: String)
    }

    /// Reads and checks each share file in turn; the first bad one stops everything.
    ///
    /// - Parameter notes: told of each file's permission warning and acceptance, for the operator.
    /// - Throws: ``TransportError/shareFileUnreadable(path:reason:)``,
    ///   ``TransportError/shareRefused(source:reason:)`` naming the file.
    public static func recovery(from paths: [String], notes: (Note) -> Void = { _ in }) throws -> ShareRecovery {
        var recovery = ShareRecovery()
        for path in paths {
            let text = try read(path)
            if let warning = permissionWarning(path) { notes(.permissions(warning)) }
            do {
                let metadata = try recovery.add(text)
                notes(.accepted(path: path, number: recovery.acceptedShares.count, metadata: "\(metadata)"))
            } catch {
                throw TransportError.shareRefused(source: path, reason: error.description)
            }
        }
        return recovery
    }
}
