import HSMSyncModel
import SignedLog

/// Which way each policy attribute opens a key up, so that a copy can be checked to be no wider
/// than its source (SECURITY rule R5, attribute monotonicity: docs/threat-model.md).
enum PolicyWidening {
    /// The value of each boolean policy attribute that gives a key *more* power or less protection.
    static let permissiveValue: [AttributeName: Bool] = [
        .private: false, .modifiable: true, .copyable: true, .destroyable: true, .sensitive: false,
        .extractable: true, .wrapWithTrusted: false, .trusted: true,
    ]

    /// The attributes in which `template` is wider than the live `source` key, as
    /// `CKA_…: bundle …, source …` lines: a usage the source does not allow, or a policy attribute on
    /// its permissive side where the source's is not. An attribute either side does not report is
    /// not compared.
    static func wider(template: BackupTemplate, than source: KeyRecord) -> [String] {
        func text(_ value: Bool) -> String { value ? "true" : "false" }
        var lines: [String] = []
        for (name, short) in AttributeName.usages
        where template.bool(name) == true && !source.usage.contains(short) {
            lines.append("\(name): bundle true, source false")
        }
        for (name, value) in source.attributes.named {
            guard let permissive = permissiveValue[name], let live = value, let recorded = template.bool(name),
                recorded == permissive, live != permissive
            else { continue }
            lines.append("\(name): bundle \(text(recorded)), source \(text(live))")
        }
        guard let allowed = source.allowedMechanisms else { return lines }
        if case .mechanisms(let recorded)? = template[.allowedMechanisms] {
            let extra = Set(recorded.map { MechanismName(code: $0).rawValue }).subtracting(allowed).sorted()
            if !extra.isEmpty {
                lines.append("CKA_ALLOWED_MECHANISMS: bundle also allows \(extra.joined(separator: ", "))")
            }
        } else {
            lines.append("CKA_ALLOWED_MECHANISMS: bundle allows any mechanism, source only its list")
        }
        return lines
    }
}
