public import HSMSyncModel
import SignedLog

/// The drill's last proof: every key and public object of a bundle against the live source HSM, by
/// fingerprint (the restore into the throwaway token already proved bundle = restored copy).
public enum BackupSourceComparison {
    /// One bundle object against the source.
    public struct Result: Sendable, Codable, Hashable {
        public let key: KeyIdentity
        /// Whether the source holds the same material.
        public let matches: Bool
        public let detail: String
    }

    /// Scans the source (read-only) and compares.
    public static func compare(_ bundle: VerifiedBackup, fleet: Fleet, source: any InventoryEndpoint) async throws
        -> [Result]
    {
        // The same scan `backup create` made, so fingerprints are computed the same way.
        let scan = try await source.scan(transportLabel: fleet.transport.label, scope: fleet.keys, progress: nil)
            .objects
        var byIdentity: [KeyIdentity: [KeyRecord]] = [:]
        for record in scan { byIdentity[record.identity, default: []].append(record) }
        let items =
            bundle.content.keys.map { ($0.template.identity, $0.fingerprint) }
            + bundle.content.objects.map { ($0.template.identity, $0.fingerprint) }
        return items.map { identity, fingerprint in
            let found = byIdentity[identity] ?? []
            guard found.count == 1, let record = found.first else {
                return Result(
                    key: identity, matches: false,
                    detail: found.isEmpty ? "no longer on the source" : "\(found.count) objects on the source")
            }
            guard let digest = fingerprint.digest, let method = fingerprint.method else {
                return Result(key: identity, matches: false, detail: "the bundle has no fingerprint")
            }
            guard record.fingerprint.method == method, let live = record.fingerprint.digest else {
                return Result(key: identity, matches: false, detail: "the source's fingerprint cannot be compared now")
            }
            return live == digest
                ? Result(key: identity, matches: true, detail: "source fingerprint \(digest.prefix(16)) (\(method))")
                : Result(
                    key: identity, matches: false, detail: "the source now holds other material (\(live.prefix(16)))")
        }
    }
}
