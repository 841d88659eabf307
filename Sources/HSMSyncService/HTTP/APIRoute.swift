import HSMSyncModel
public import HTTPTypes
public import Hummingbird
import NIOCore

/// One route of the API: what the router serves and what the OpenAPI document describes, from the
/// same value, so the two cannot drift.
public struct APIRoute: Sendable {
    public typealias Handler = @Sendable (Request, ServiceContext, ServiceEnvironment) async throws -> Response

    public let method: HTTPRequest.Method
    /// The path in OpenAPI's form (`/v1/runs/{id}`).
    public let path: String
    /// The router's pattern when it differs from ``path`` (`/log/tile/**`).
    public let routerPath: String?
    public let operationID: String
    public let access: RouteAccess
    public let summary: String
    /// Query parameters: name and description.
    public let query: [Parameter]
    /// Status codes and what each means.
    public let responses: [Int: String]
    /// The media type of a 200 response.
    public let mediaType: String
    let handler: Handler

    public struct Parameter: Sendable {
        public let name: String
        public let description: String
        /// The JSON Schema the server enforces (a value outside it is a 400).
        let schema: JSONValue

        static func integer(_ name: String, _ description: String, range: ClosedRange<Int>) -> Parameter {
            Parameter(
                name: name, description: description,
                schema: .object([
                    "type": .string("integer"), "minimum": .integer(Int64(range.lowerBound)),
                    "maximum": .integer(Int64(range.upperBound)),
                ]))
        }

        /// Run ids and HSM names (``QueryCheck/isIdentifier(_:)``).
        static func identifier(_ name: String, _ description: String) -> Parameter {
            Parameter(
                name: name, description: description,
                schema: .object(["type": .string("string"), "pattern": .string("^[A-Za-z0-9._-]{1,128}$")]))
        }

        static func oneOf(_ name: String, _ description: String, _ values: [String]) -> Parameter {
            Parameter(
                name: name, description: description,
                schema: .object(["type": .string("string"), "enum": .array(values.map(JSONValue.string))]))
        }
    }

    init(
        _ method: HTTPRequest.Method, _ path: String, routerPath: String? = nil, id: String, access: RouteAccess,
        summary: String, query: [Parameter] = [], responses: [Int: String], mediaType: String = "application/json",
        handler: @escaping Handler
    ) {
        self.method = method
        self.path = path
        self.routerPath = routerPath
        self.operationID = id
        self.access = access
        self.summary = summary
        self.query = query
        self.responses = responses
        self.mediaType = mediaType
        self.handler = handler
    }
}

extension Response {
    /// A JSON body (already encoded).
    static func json(_ bytes: [UInt8], status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) -> Response {
        var fields = headers
        fields[.contentType] = "application/json"
        fields[.cacheControl] = "no-store"
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    /// A typed value as JSON (keys in declaration order, RFC 3339 dates).
    static func json(_ value: some Encodable, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) throws
        -> Response
    {
        json(try StreamingJSONEncoder().encode(value), status: status, headers: headers)
    }

    /// Bytes of another media type.
    static func bytes(_ bytes: [UInt8], contentType: String, cacheControl: String = "no-store") -> Response {
        Response(
            status: .ok, headers: [.contentType: contentType, .cacheControl: cacheControl],
            body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}
