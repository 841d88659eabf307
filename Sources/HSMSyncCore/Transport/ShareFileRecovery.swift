import HSMSyncModel
public import SLIP39

extension ShareFileReader {
    /// What reading one share file said: a permission warning, the share accepted (`entry`: in
    /// which order; `metadata` names the share by its own number), or the file refused.
    public enum Note: Sendable {
        case permissions(String)
        case accepted(path: String, entry: Int, metadata: String)
        case refused(path: String, reason: String)
    }

    /// Reads and checks each share file in turn. A file whose share is refused (a mistyped word,
    /// a bad checksum, another set, a duplicate) is named and left out; the others still count, so
    /// four files of which one is bad still give three good shares.
    ///
    /// - Parameter notes: told of each file's permission warning, acceptance or refusal.
    /// - Throws: ``TransportError/shareFileUnreadable(path:reason:)``; the first
    ///   ``TransportError/shareRefused(source:reason:)`` when the refusals leave too few shares.
    public static func recovery(from paths: [String], notes: (Note) -> Void = { _ in }) throws -> ShareRecovery {
        var recovery = ShareRecovery()
        var refusals: [TransportError] = []
        for path in paths {
            let text = try read(path)
            if let warning = permissionWarning(path) { notes(.permissions(warning)) }
            do {
                let metadata = try recovery.add(text)
                notes(.accepted(path: path, entry: recovery.acceptedShares.count, metadata: "\(metadata)"))
            } catch {
                refusals.append(TransportError.shareRefused(source: path, reason: error.description))
                notes(.refused(path: path, reason: error.description))
            }
        }
        if let first = refusals.first, !recovery.progress.isComplete { throw first }
        return recovery
    }
}
