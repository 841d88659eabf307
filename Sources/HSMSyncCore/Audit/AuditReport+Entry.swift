public import HSMSyncModel
import SignedLog

extension AuditAction {
    /// A parity audit ran: status, counts, per-HSM summary, the report's digest.
    public static let auditParity = AuditAction("audit.parity")
}

extension AuditReport {
    /// What the signed log keeps of an audit (never secrets): enough to prove, later, that the
    /// audit ran, what it found, and which report it produced.
    ///
    /// - Parameters:
    ///   - reportDigest: SHA-256 of the report's compact JSON encoding (same fields as `--json`).
    ///   - fleetDigest: SHA-256 of the fleet file as read (``Fleet/fileDigest``); no `inputs.fleet`
    ///     without one.
    public func auditEntry(actor: AuditActor, reportDigest: AuditDigest, fleetDigest: AuditDigest?)
        -> AuditEntryDraft
    {
        let hsms: [JSONValue] = hsms.map { hsm in
            var object: [String: JSONValue] = [
                "name": .string(hsm.name), "role": .string(hsm.role.rawValue), "reachable": .bool(hsm.reachable),
                "objects": .integer(Int64(hsm.objects)), "keys_in_scope": .integer(Int64(hsm.keysInScope)),
                "findings": .integer(Int64(hsm.findings)),
            ]
            if let token = hsm.token { object["serial"] = .string(token.serial) }
            if let value = hsm.transport?.checkValue { object["transport_check_value"] = .string(value) }
            return .object(object)
        }
        let counts = JSONValue.object(counts.mapValues { .integer(Int64($0)) })
        return AuditEntryDraft(
            action: .auditParity, actor: actor, inputs: fleetDigest.map { ["fleet": $0] } ?? [:],
            outputs: [
                "status": .string(status.rawValue), "counts": counts, "hsms": .array(hsms),
                "report": .string(reportDigest.description),
            ],
            result: status == .error ? .failed : .ok,
            detail: ["strict_policy": .bool(strictPolicy), "duration_ms": .integer(Int64(durationSeconds * 1000))])
    }
}
