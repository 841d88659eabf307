import Foundation
import HTTPTypes
import Hummingbird

extension ServiceEnvironment {
    /// Checks the bearer token against `access`: 401 when missing or wrong (and counted for the
    /// limiter), 403 when the role is too low, 429 when the address has failed too often.
    func authorize(_ request: Request, _ context: inout ServiceContext, access: RouteAccess) throws {
        let needed: APIRole
        switch access {
        case .open: return
        case .metrics:
            guard metricsNeedToken else { return }
            needed = .reader
        case .role(let role): needed = role
        }
        if limiter.isLimited(context.client) {
            throw APIError.tooManyFailures
        }
        guard let header = request.headers[.authorization], header.hasPrefix("Bearer "),
            let entry = tokens.authenticate(header.dropFirst(7).trimmingCharacters(in: .whitespaces))
        else {
            limiter.recordFailure(context.client)
            throw APIError.unauthorized
        }
        context.role = entry.role
        context.tokenName = entry.name
        guard entry.role >= needed else { throw APIError.forbidden }
    }
}
