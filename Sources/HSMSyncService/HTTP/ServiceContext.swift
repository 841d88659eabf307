public import Hummingbird
import NIOCore

/// The request context: Hummingbird's core storage, the caller's address (for the failed-auth
/// limiter) and the role its token carried.
public struct ServiceContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The peer's IP address, or `unknown`.
    public let client: String
    /// The role of the token the request carried, once authenticated.
    public var role: APIRole?
    /// The name of that token (recorded as who asked for a run).
    public var tokenName: String?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        client = source.channel.remoteAddress?.ipAddress ?? "unknown"
    }

    /// Request bodies are small JSON documents: anything bigger is refused before it is read.
    public var maxUploadSize: Int { 64 * 1024 }
}
