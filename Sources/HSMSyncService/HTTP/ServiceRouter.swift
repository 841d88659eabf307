public import Hummingbird
import Logging
import PostgresKit

/// Builds the router from ``APIRoutes/all``: every route checks its access before its handler runs.
public enum ServiceRouter {
    public static func make(environment: ServiceEnvironment) -> Router<ServiceContext> {
        let router = Router(context: ServiceContext.self)
        router.add(middleware: APIErrorMiddleware(environment: environment))
        for route in APIRoutes.all {
            router.on(RouterPath(route.routerPath ?? route.path), method: route.method) { request, context in
                var context = context
                try environment.authorize(request, &context, access: route.access)
                return try await route.handler(request, context, environment)
            }
        }
        return router
    }
}

/// Turns every error into the API's JSON error body. Unknown paths under `/v1` need a token like
/// known ones (a 404 would tell an anonymous caller what exists); an unexpected error is a 500
/// whose detail stays in the service log.
struct APIErrorMiddleware: RouterMiddleware {
    typealias Context = ServiceContext
    typealias Input = Request
    typealias Output = Response
    let environment: ServiceEnvironment

    // `@concurrent`: Hummingbird's protocol is declared without nonisolated(nonsending) defaults.
    @concurrent func handle(
        _ request: Request, context: ServiceContext,
        next: @concurrent (Request, ServiceContext) async throws -> Response
    ) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            throw error
        } catch let error as HTTPError {
            if error.status == .notFound, request.uri.path.hasPrefix("/v1") {
                var context = context
                try environment.authorize(request, &context, access: .role(.reader))
            }
            let code: String
            switch error.status {
            case .notFound: code = "not-found"
            case .methodNotAllowed: code = "method-not-allowed"
            case .contentTooLarge: code = "body-too-large"
            default: code = error.status.code < 500 ? "bad-request" : "internal"
            }
            throw APIError(
                error.status, code: code, error.status.code < 500 ? error.status.reasonPhrase : "internal error")
        } catch let error where error is StateStoreError || error is PSQLError {
            // The database is down or restarting: the store reconnects on a later request.
            environment.logger.error(
                "request failed: state database unavailable",
                metadata: ["path": "\(request.uri.path)", "error": "\(StateStoreError.describe(error))"])
            throw APIError(
                .serviceUnavailable, code: "database-unavailable", "the state database is unavailable; try again later")
        } catch {
            environment.logger.error(
                "request failed", metadata: ["path": "\(request.uri.path)", "error": "\(String(describing: error))"])
            throw APIError(.internalServerError, code: "internal", "internal error; the service log has the detail")
        }
    }
}
