import HSMSyncCore
import HSMSyncModel
import Hummingbird

/// The OpenAPI 3.1 document, built from ``APIRoutes/all`` (the same list the router serves), so
/// the two cannot drift; `docs/openapi.json` is this output, and a test keeps it so.
public enum OpenAPIDocument {
    /// Canonical JSON (sorted keys, no white space) and a final newline.
    public static let bytes: [UInt8] = CanonicalJSON.encode(document) + [UInt8(ascii: "\n")]

    static func route(_: Request, _: ServiceContext, _: ServiceEnvironment) async throws -> Response {
        .bytes(bytes, contentType: "application/json", cacheControl: "public, max-age=300")
    }

    static var document: JSONValue {
        var paths: [String: JSONValue] = [:]
        for route in APIRoutes.all {
            var operations: [String: JSONValue]
            if case .object(let existing) = paths[route.path] {
                operations = existing
            } else {
                operations = [:]
            }
            operations[route.method.rawValue.lowercased()] = operation(route)
            paths[route.path] = .object(operations)
        }
        return .object([
            "openapi": .string("3.1.0"),
            "info": .object([
                "title": .string("hsmsync service"),
                "version": .string(HSMSyncVersion.current),
                "description": .string(
                    "hsmsync serve: scheduled parity audits, automatic sync, history and the signed log. "
                        + "Roles: reader (every GET under /v1), operator (also the POSTs). "
                        + "Errors are {\"error\": {\"code\", \"message\"}}."),
            ]),
            "components": .object([
                "securitySchemes": .object([
                    "bearer": .object(["type": .string("http"), "scheme": .string("bearer")])
                ]),
                "schemas": .object([
                    "Error": .object([
                        "type": .string("object"), "required": .array([.string("error")]),
                        "properties": .object([
                            "error": .object([
                                "type": .string("object"), "required": .array([.string("code"), .string("message")]),
                                "properties": .object([
                                    "code": .object(["type": .string("string")]),
                                    "message": .object(["type": .string("string")]),
                                ]),
                            ])
                        ]),
                    ])
                ]),
            ]),
            "paths": .object(paths),
        ])
    }

    private static func operation(_ route: APIRoute) -> JSONValue {
        var parameters: [JSONValue] = route.query.map { parameter in
            .object([
                "name": .string(parameter.name), "in": .string("query"), "required": .bool(false),
                "description": .string(parameter.description),
                "schema": parameter.schema,
            ])
        }
        for name in pathParameters(route.path) {
            parameters.append(
                .object([
                    "name": .string(name), "in": .string("path"), "required": .bool(true),
                    "schema": .object(["type": .string("string")]),
                ]))
        }
        var responses: [String: JSONValue] = [:]
        for (status, description) in route.responses {
            let mediaType = status < 300 ? route.mediaType : "application/json"
            var content: [String: JSONValue] = [:]
            if status >= 400 {
                content["application/json"] = .object([
                    "schema": .object(["$ref": .string("#/components/schemas/Error")])
                ])
            } else {
                content[mediaType] = .object([:])
            }
            responses[String(status)] = .object(["description": .string(description), "content": .object(content)])
        }
        var operation: [String: JSONValue] = [
            "operationId": .string(route.operationID), "summary": .string(route.summary),
            "responses": .object(responses),
        ]
        if !parameters.isEmpty { operation["parameters"] = .array(parameters) }
        switch route.access {
        case .open: operation["security"] = .array([])
        case .metrics: operation["security"] = .array([.object([:]), .object(["bearer": .array([])])])
        case .role(let role):
            operation["security"] = .array([.object(["bearer": .array([])])])
            operation["x-hsmsync-role"] = .string(role.rawValue)
        }
        return .object(operation)
    }

    private static func pathParameters(_ path: String) -> [String] {
        path.split(separator: "/").filter { $0.hasPrefix("{") && $0.hasSuffix("}") }.map {
            String($0.dropFirst().dropLast())
        }
    }
}
