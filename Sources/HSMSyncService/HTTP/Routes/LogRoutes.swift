import Hummingbird

/// The signed log over HTTP as C2SP tlog-tiles: `/log/checkpoint`, `/log/tile/<L>/<N>[.p/<W>]`,
/// `/log/tile/entries/<N>[.p/<W>]`. Open to everyone: the log holds digests and check values, never secrets.
enum LogRoutes {
    static func checkpoint(_: Request, _: ServiceContext, environment: ServiceEnvironment) async throws -> Response {
        guard let directory = environment.logDirectory else { throw noLog }
        do {
            return .bytes(
                try environment.tiles.checkpoint(directory: directory), contentType: "text/plain; charset=utf-8")
        } catch {
            throw noLog
        }
    }

    static func tile(_ request: Request, _: ServiceContext, environment: ServiceEnvironment) async throws -> Response {
        guard let directory = environment.logDirectory else { throw noLog }
        let prefix = "/log/tile/"
        let path = request.uri.path
        guard path.hasPrefix(prefix), let tilePath = TilePath(path.dropFirst(prefix.count)) else {
            throw APIError(.notFound, code: "not-a-tile", "not a tlog-tiles path: /log/tile/<L>/<N>[.p/<W>]")
        }
        do {
            let bytes = try environment.tiles.tile(tilePath, directory: directory)
            // Full tiles never change; partial ones are replaced as the log grows.
            return .bytes(
                bytes, contentType: "application/octet-stream",
                cacheControl: tilePath.width == nil ? "public, max-age=31536000, immutable" : "no-store")
        } catch {
            throw APIError(.notFound, code: "no-such-tile", "the log's current tree has no such tile")
        }
    }

    private static let noLog = APIError(.notFound, code: "no-log", "the fleet file configures no signed log")
}
