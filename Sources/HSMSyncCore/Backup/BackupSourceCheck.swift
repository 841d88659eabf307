public import HSMSyncModel
import SignedLog

/// What the live source HSM of a bundle says before a restore (issue 17): a bundle is a copy of the
/// past, and the source may have destroyed a key since, or hold it under a narrower policy than the
/// bundle records (a template edited and signed again would otherwise be restored as written).
///
/// When the source is in the fleet and answers, every key of the bundle is compared with it: a key
/// the source no longer holds is not brought back (unless a dual-controlled ceremony says so), a key
/// whose material differs is not restored, and a template wider than the live key is refused with the
/// attribute named. When the source cannot be reached — the usual case in a real disaster — the
/// restore goes on, and its report says the live comparison was not made.
public struct BackupSourceCheck: Sendable, Codable, Hashable {
    public enum Status: String, Sendable, Codable, Hashable {
        /// The source answered; every key was compared with it.
        case compared
        /// The source is in the fleet but could not be scanned.
        case unreachable
        /// No HSM of the fleet has the bundle's source name and serial.
        case notInFleet = "not-in-fleet"
    }

    /// The source HSM's fleet name (the bundle's).
    public let hsm: String
    public let status: Status
    /// For `unreachable` and `not-in-fleet`: why, for the operator.
    public let detail: String?
    /// The source's scan, by identity (not in reports).
    let records: [KeyIdentity: [KeyRecord]]

    enum CodingKeys: String, CodingKey {
        case hsm, status, detail
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        hsm = try container.decode(String.self, forKey: .hsm)
        status = try container.decode(Status.self, forKey: .status)
        detail = try container.decodeIfPresent(String.self, forKey: .detail)
        records = [:]
    }

    /// The source answered with `scan`.
    public static func compared(hsm: String, scan: [KeyRecord]) -> BackupSourceCheck {
        BackupSourceCheck(
            hsm: hsm, status: .compared, detail: nil, records: Dictionary(grouping: scan, by: \.identity))
    }

    /// The source could not be compared, for `reason`.
    public static func notCompared(hsm: String, status: Status, reason: String) -> BackupSourceCheck {
        BackupSourceCheck(hsm: hsm, status: status, detail: reason, records: [:])
    }

    private init(hsm: String, status: Status, detail: String?, records: [KeyIdentity: [KeyRecord]]) {
        self.hsm = hsm
        self.status = status
        self.detail = detail
        self.records = records
    }

    /// Whether the source was compared and does not hold `identity` (any more).
    public func lacks(_ identity: KeyIdentity) -> Bool {
        status == .compared && records[identity] == nil
    }

    /// Why the bundle key `template` with `fingerprint` must not be restored, by the live source; `nil`
    /// when the source agrees or was not compared.
    ///
    /// - Parameter allowResurrect: a dual-controlled ceremony's explicit leave to bring back a key
    ///   the source has destroyed since the bundle was made.
    func refusal(of template: BackupTemplate, fingerprint: Fingerprint, allowResurrect: Bool) -> String? {
        guard status == .compared else { return nil }
        let found = records[template.identity] ?? []
        guard let live = found.first else {
            return allowResurrect
                ? nil
                : "no longer on the source \(hsm): it was destroyed there after the bundle was made, and a restore "
                    + "never brings a destroyed key back (only a dual-controlled ceremony step with "
                    + "allow-resurrect: true may)"
        }
        guard found.count == 1 else { return "\(found.count) objects on the source \(hsm) carry this identity" }
        if let digest = fingerprint.digest, let method = fingerprint.method, live.fingerprint.method == method,
            let liveDigest = live.fingerprint.digest, liveDigest != digest
        {
            return "the source \(hsm) now holds other material under this identity (\(liveDigest.prefix(16)))"
        }
        let wider = PolicyWidening.wider(template: template, than: live)
        guard wider.isEmpty else {
            return "the bundle's template is wider than the live key on \(hsm): " + wider.joined(separator: "; ")
        }
        return nil
    }
}
