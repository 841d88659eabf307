/// What a bearer token may do (DESIGN.md: `reader` every GET under /v1, `operator` the POSTs too).
public enum APIRole: String, Sendable, Hashable, Codable, CaseIterable, Comparable {
    case reader, `operator`

    public static func < (lhs: APIRole, rhs: APIRole) -> Bool {
        lhs == .reader && rhs == .operator
    }
}

/// Who may call a route.
public enum RouteAccess: Sendable, Hashable {
    /// No token (`/healthz`, `/readyz`, `/log/…`, the page's health).
    case open
    /// `/metrics`: open unless the service section says `metrics: token`.
    case metrics
    /// At least this role.
    case role(APIRole)
}
