import ArgumentParser
import HSMSyncService

/// `hsmsync serve openapi`: the API's OpenAPI document, as `/openapi.json` serves it.
struct ServeOpenAPICommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "openapi", abstract: "Print the service's OpenAPI 3.1 document (docs/openapi.json).",
        discussion: "Example: hsmsync serve openapi > docs/openapi.json")

    func run() throws {
        Console.write(OpenAPIDocument.bytes)
    }
}
