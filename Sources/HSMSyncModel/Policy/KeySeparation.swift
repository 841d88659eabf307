/// The one rule no copy made by hsmsync may break: a key that holds secret material never carries a
/// key-transport usage (`CKA_WRAP`, `CKA_UNWRAP`) together with a data usage (`CKA_ENCRYPT`,
/// `CKA_DECRYPT`).
///
/// With both, the token itself undoes its protection: a key with WRAP and DECRYPT wraps a sensitive
/// key and then decrypts the blob to clear text; one with UNWRAP and ENCRYPT imports a key of the
/// caller's choosing (Clulow 2003; reproduced on SoftHSM2 2.6.1, docs/threat-model.md). The audit
/// reports such keys as `policy` findings; reconcile never copies one, and a restore never
/// recreates one, whatever the bundle says.
public enum KeySeparation {
    /// The usages, by short name, on the key-transport side.
    static let transportUsages: Set<String> = ["wrap", "unwrap"]
    /// The usages, by short name, on the data side.
    static let dataUsages: Set<String> = ["encrypt", "decrypt"]

    /// How `usage` (short names, as ``KeyRecord/usage`` lists them) breaks the rule, or `nil`.
    public static func violation(usage: some Sequence<String>) -> String? {
        let usage = Set(usage)
        let transport = usage.intersection(transportUsages).sorted()
        let data = usage.intersection(dataUsages).sorted()
        guard !transport.isEmpty, !data.isEmpty else { return nil }
        let names = (transport + data).map { "CKA_\($0.uppercased())" }
        return "it may both \(transport.joined(separator: "/")) and \(data.joined(separator: "/")) "
            + "(\(names.joined(separator: ", ")) together): a key it wraps could be decrypted to clear text, "
            + "or a key of anyone's choosing imported"
    }

    /// How `record` breaks the rule, or `nil` (also for objects that hold no secret material).
    public static func violation(_ record: KeyRecord) -> String? {
        record.holdsSecretMaterial ? violation(usage: record.usage) : nil
    }

    /// How a bundle template breaks the rule, or `nil`.
    public static func violation(_ template: BackupTemplate) -> String? {
        guard template.objectClass == "secret-key" || template.objectClass == "private-key" else { return nil }
        return violation(usage: template.usage)
    }
}
