/// What a command asks the log to record; the log adds `v`, `log`, `seq`, `prev` and `time`.
///
/// > Important: Never put secrets, PINs, shares or key material in any field. Outputs are key
/// > identities, fingerprints, check values (as the HSM reports them), CKR codes; inputs are
/// > digests only.
public struct AuditEntryDraft: Hashable, Sendable {
    public var action: AuditAction
    public var actor: AuditActor
    /// The ceremony's identifier, e.g. `KC-2026-05`.
    public var ceremony: String?
    /// The ceremony step, e.g. `4.2`.
    public var step: String?
    /// Digests of the inputs (`script`, `config`, `envelope`, …).
    public var inputs: [String: AuditDigest]
    /// Key ids, labels, fingerprints, check values, op-ids, CKR codes.
    public var outputs: [String: JSONValue]
    public var result: AuditResult
    /// Anything else worth keeping (never secrets).
    public var detail: [String: JSONValue]

    public init(
        action: AuditAction, actor: AuditActor, ceremony: String? = nil, step: String? = nil,
        inputs: [String: AuditDigest] = [:], outputs: [String: JSONValue] = [:], result: AuditResult = .ok,
        detail: [String: JSONValue] = [:]
    ) {
        self.action = action
        self.actor = actor
        self.ceremony = ceremony
        self.step = step
        self.inputs = inputs
        self.outputs = outputs
        self.result = result
        self.detail = detail
    }
}
