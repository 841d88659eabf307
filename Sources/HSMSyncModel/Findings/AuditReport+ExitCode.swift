extension AuditReport {
    /// The exit code `hsmsync audit` ends with for this report (DESIGN.md): 0 parity, 1 drift,
    /// 3 an HSM could not be audited or the entry not recorded, 2 when the log's configuration is
    /// at fault. `hsmsync_audit_status` has always exported it.
    public var exitCode: Int32 {
        if let category = record?.failureCategory {
            return category == .invalidInput ? 2 : 3
        }
        switch status {
        case .parity: return 0
        case .drift: return 1
        case .error: return 3
        }
    }
}
