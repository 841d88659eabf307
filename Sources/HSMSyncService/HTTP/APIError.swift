public import HSMSyncModel
public import HTTPTypes
public import Hummingbird
import NIOCore

/// An error the API answers with: `{"error": {"code": "...", "message": "..."}}` and its status.
/// Messages never hold a secret (no token, PIN or path of a secret).
public struct APIError: Error, Sendable, HTTPResponseError {
    public let status: HTTPResponse.Status
    public let code: String
    public let message: String
    /// Extra response headers.
    public var headers: HTTPFields = [:]
    /// Extra top-level members of the body (`leader` on a follower's 409).
    public var members: [String: JSONValue] = [:]

    public init(_ status: HTTPResponse.Status, code: String, _ message: String) {
        self.status = status
        self.code = code
        self.message = message
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var body = ByteBuffer()
        body.writeBytes(
            CanonicalJSON.encode(
                .object(
                    members.merging(["error": .object(["code": .string(code), "message": .string(message)])]) {
                        _, error in error
                    })))
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

extension APIError {
    /// A follower's answer to work only the leader does: `409` with `leader: {instance, epoch}`
    /// (`null` while no leader is known), so that a client or a load balancer can send it there.
    static func notLeader(_ leader: Leadership.Leader?) -> APIError {
        var error = APIError(.conflict, code: "not-leader", RunRefused.notLeader(leader: leader).description)
        error.members["leader"] =
            leader.map { .object(["instance": .string($0.instance), "epoch": .integer(Int64($0.epoch))]) } ?? .null
        return error
    }
}
