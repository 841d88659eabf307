import HSMSyncModel
public import HTTPTypes
public import Hummingbird
import NIOCore

/// An error the API answers with: `{"error": {"code": "...", "message": "..."}}` and its status.
/// Messages never hold a secret (no token, PIN or path of a secret).
public struct APIError: Error, Sendable, HTTPResponseError {
    public let status: HTTPResponse.Status
    public let code: String
    public let message: String
    /// Extra top-level members (`leader` on a follower's 409, in the HA issue).
    public var headers: HTTPFields = [:]

    public init(_ status: HTTPResponse.Status, code: String, _ message: String) {
        self.status = status
        self.code = code
        self.message = message
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var body = ByteBuffer()
        body.writeBytes(
            CanonicalJSON.encode(.object(["error": .object(["code": .string(code), "message": .string(message)])])))
        var fields = headers
        fields[.contentType] = "application/json"
        return Response(status: status, headers: fields, body: .init(byteBuffer: body))
    }

    static let unauthorized = APIError(.unauthorized, code: "unauthorized", "a valid bearer token is required")
    static let forbidden = APIError(.forbidden, code: "forbidden", "this token's role may not do that")
    static let notFound = APIError(.notFound, code: "not-found", "no such resource")
    static let tooManyFailures = APIError(
        .tooManyRequests, code: "too-many-failures", "too many failed authentications from this address; wait a minute")
}
