public import HSMSyncModel
import SignedLog

/// What a restore would do with each object of a bundle, against what the target already holds.
///
/// Computed read-only from one inventory scan of the target; `backup restore` without `--apply`
/// prints it and changes nothing.
public struct BackupRestorePlan: Sendable, Codable {
    /// One bundle object's fate.
    public struct Item: Sendable, Codable, Hashable {
        public enum Action: String, Sendable, Codable, Hashable {
            /// Not on the target: it will be restored (stage → verify → promote).
            case restore
            /// On the target with the same fingerprint: skipped.
            case present
            /// On the target with other (or unprovable) material or policy: left untouched, reported.
            case conflict
            /// Never restored, wherever it is: its template breaks key separation, or the live source
            /// contradicts it (destroyed there since, other material, a narrower policy).
            case refused
        }

        public let key: KeyIdentity
        public let keyType: KeyAlgorithm?
        public let action: Action
        /// Why, for `present` and `conflict`.
        public let detail: String?
        /// The bundle's fingerprint.
        public let fingerprint: Fingerprint
    }

    public let hsm: String
    public let bundleSHA256: String
    public let backupKeyCheckValue: String
    public let keys: [Item]
    public let objects: [Item]
    /// Objects the bundle says it could not hold.
    public let notInBundle: [BackupExclusion]
    /// What the live source said (absent in plans made before issue 17's check existed).
    public let source: BackupSourceCheck?

    public var conflicts: Int { (keys + objects).filter { $0.action == .conflict }.count }
    public var refused: Int { (keys + objects).filter { $0.action == .refused }.count }
    public var toRestore: Int { (keys + objects).filter { $0.action == .restore }.count }
    public var present: Int { (keys + objects).filter { $0.action == .present }.count }

    /// Compares the bundle with the target's inventory.
    ///
    /// A target object with the bundle object's identity (class, label, `CKA_ID`) is `present` only
    /// when both fingerprints exist, were computed the same way and are equal, and it holds every
    /// policy attribute the bundle records with the bundle's value; anything else — other material,
    /// a fingerprint that cannot be compared, the same key under another (perhaps weaker) policy,
    /// several objects with the identity — is a `conflict`, because hsmsync never overwrites a key
    /// it cannot prove identical (R14).
    ///
    /// Before any of that, a key is `refused` when its template breaks ``KeySeparation`` or when
    /// `source` (the live source HSM) contradicts it (``BackupSourceCheck``).
    public static func make(
        bundle: VerifiedBackup, hsm: String, target: [KeyRecord], backupKeyCheckValue: String,
        source: BackupSourceCheck? = nil, allowResurrect: Bool = false
    ) -> BackupRestorePlan {
        var byIdentity: [KeyIdentity: [KeyRecord]] = [:]
        for record in target { byIdentity[record.identity, default: []].append(record) }
        func refusal(_ template: BackupTemplate, _ fingerprint: Fingerprint) -> Item? {
            let reason =
                KeySeparation.violation(template).map { "its template breaks key separation: \($0)" }
                ?? source?.refusal(of: template, fingerprint: fingerprint, allowResurrect: allowResurrect)
            return reason.map {
                Item(
                    key: template.identity, keyType: template.keyType, action: .refused, detail: $0,
                    fingerprint: fingerprint)
            }
        }
        func item(_ template: BackupTemplate, _ fingerprint: Fingerprint) -> Item {
            let identity = template.identity
            let existing = byIdentity[identity] ?? []
            guard let found = existing.first else {
                return Item(
                    key: identity, keyType: template.keyType, action: .restore, detail: nil, fingerprint: fingerprint)
            }
            guard existing.count == 1 else {
                return Item(
                    key: identity, keyType: template.keyType, action: .conflict,
                    detail: "\(existing.count) objects on the target carry this identity", fingerprint: fingerprint)
            }
            switch (fingerprint, found.fingerprint) {
            case (.available(let method, let digest), .available(let targetMethod, let targetDigest)):
                if method != targetMethod {
                    return Item(
                        key: identity, keyType: template.keyType, action: .conflict,
                        detail: "fingerprints cannot be compared (bundle \(method), target \(targetMethod))",
                        fingerprint: fingerprint)
                }
                if digest != targetDigest {
                    return Item(
                        key: identity, keyType: template.keyType, action: .conflict,
                        detail:
                            "other material: target fingerprint \(targetDigest.prefix(16)), bundle \(digest.prefix(16))",
                        fingerprint: fingerprint)
                }
                let weaker = AttributeComparison.differences(template: template, record: found)
                guard weaker.isEmpty else {
                    return Item(
                        key: identity, keyType: template.keyType, action: .conflict,
                        detail: "same material, another policy: " + weaker.joined(separator: "; "),
                        fingerprint: fingerprint)
                }
                return Item(
                    key: identity, keyType: template.keyType, action: .present,
                    detail: "same fingerprint \(digest.prefix(16)) (\(method)): skipped", fingerprint: fingerprint)
            case (_, .unavailable(let reason)):
                return Item(
                    key: identity, keyType: template.keyType, action: .conflict,
                    detail: "the target's copy cannot be fingerprinted (\(reason))", fingerprint: fingerprint)
            case (.unavailable(let reason), _):
                return Item(
                    key: identity, keyType: template.keyType, action: .conflict,
                    detail: "the bundle has no fingerprint to compare (\(reason))", fingerprint: fingerprint)
            }
        }
        let content = bundle.content
        return BackupRestorePlan(
            hsm: hsm, bundleSHA256: bundle.sha256, backupKeyCheckValue: backupKeyCheckValue,
            keys: content.keys.map { refusal($0.template, $0.fingerprint) ?? item($0.template, $0.fingerprint) },
            objects: content.objects.map { item($0.template, $0.fingerprint) }, notInBundle: content.excluded,
            source: source)
    }
}
