/// The rules a transport key must meet before anything is wrapped under it (DESIGN.md
/// "Transport key", SECURITY.md R1 and R2): an AES-256 key with WRAP and UNWRAP only,
/// non-extractable, sensitive, non-modifiable, non-copyable, on the token.
public enum TransportKeyPolicy {
    /// The length of a transport key in bytes (AES-256).
    public static let keyByteCount = 32

    /// Human summary of the attributes every transport key hsmsync creates carries, for ceremony
    /// output.
    public static let summary =
        "WRAP and UNWRAP only; sensitive, non-extractable, non-modifiable, non-copyable, private, token; "
        + "allowed mechanisms CKM_AES_KEY_WRAP, CKM_AES_KEY_WRAP_PAD; unwrap template CKA_SENSITIVE=true"

    /// What is wrong with `record` as a transport key; empty when it meets every rule.
    public static func violations(_ record: KeyRecord) -> [String] {
        var problems: [String] = []
        if record.objectClass != "secret-key" { problems.append("is a \(record.objectClass), not a secret key") }
        if record.keyType != "aes" { problems.append("is not an AES key (\(record.keyType ?? "unknown type"))") }
        if record.keyType == "aes", record.size != 256 {
            problems.append("is AES-\(record.size.map(String.init) ?? "?"), not AES-256")
        }
        let forbidden = record.usage.filter { !["wrap", "unwrap"].contains($0) }
        if !forbidden.isEmpty {
            problems.append("may also \(forbidden.joined(separator: ", ")) (a KEK may only wrap and unwrap)")
        }
        if !record.usage.contains("wrap") { problems.append("lacks CKA_WRAP") }
        if !record.usage.contains("unwrap") { problems.append("lacks CKA_UNWRAP") }
        if record.attributes.extractable != false { problems.append("is extractable (CKA_EXTRACTABLE must be false)") }
        if record.attributes.sensitive != true { problems.append("is not sensitive (CKA_SENSITIVE must be true)") }
        if record.attributes.modifiable != false { problems.append("is modifiable (CKA_MODIFIABLE must be false)") }
        if record.attributes.copyable == true { problems.append("is copyable (CKA_COPYABLE must be false)") }
        if record.attributes.token != true { problems.append("is not a token object") }
        return problems
    }
}
