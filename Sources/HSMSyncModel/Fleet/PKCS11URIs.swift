/// RFC 7512 PKCS#11 URIs as hsmsync writes them: a token's (for a fleet file's `token:`) and an
/// object's (as `inventory` shows them, for other PKCS#11 tools).
public enum PKCS11URIs {
    /// `pkcs11:token=LABEL;serial=SERIAL`: the label and serial select exactly one token.
    public static func token(label: String, serial: String) -> String {
        "pkcs11:token=\(TokenSelector.percentEncoded(label));serial=\(TokenSelector.percentEncoded(serial))"
    }

    /// The token's URI with `object=` (the label), `id=` (each byte percent-encoded) and `type=`
    /// (`secret-key`, `private`, `public`, `cert`, `data`) of `record`, as far as it has them.
    public static func object(_ record: KeyRecord, tokenLabel: String, serial: String) -> String {
        var uri = token(label: tokenLabel, serial: serial)
        if let label = record.label { uri += ";object=" + TokenSelector.percentEncoded(label) }
        if let id = record.id, !id.isEmpty, id.count % 2 == 0 {
            var encoded = ""
            var index = id.startIndex
            while index < id.endIndex {
                let next = id.index(index, offsetBy: 2)
                encoded += "%" + id[index..<next].uppercased()
                index = next
            }
            uri += ";id=" + encoded
        }
        let types: [ObjectKind: String] = [
            .secretKey: "secret-key", .privateKey: "private", .publicKey: "public", .certificate: "cert", .data: "data",
        ]
        if let type = types[record.objectClass] { uri += ";type=" + type }
        return uri
    }
}
