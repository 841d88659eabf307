import Foundation
import Hummingbird

/// Query and path parameters, checked: a bad one is a 400 that names it.
enum QueryCheck {
    static func integer(_ request: Request, _ name: String, default value: Int, range: ClosedRange<Int>) throws -> Int {
        guard let text = request.uri.queryParameters[name[...]] else { return value }
        guard let number = Int(text), range.contains(number) else {
            throw APIError(
                .badRequest, code: "bad-parameter",
                "\(name) must be an integer from \(range.lowerBound) to \(range.upperBound)")
        }
        return number
    }

    /// Run ids and HSM names: letters, digits, '.', '_', '-' (so nothing else reaches a query).
    static func identifier(_ request: Request, _ name: String) throws -> String? {
        guard let text = request.uri.queryParameters[name[...]] else { return nil }
        guard isIdentifier(text) else {
            throw APIError(.badRequest, code: "bad-parameter", "\(name) holds characters an id never has")
        }
        return String(text)
    }

    static func pathIdentifier(_ context: ServiceContext, _ name: String) throws -> String {
        guard let text = context.parameters.get(name), isIdentifier(text[...]) else { throw APIError.notFound }
        return text
    }

    static func isIdentifier(_ text: Substring) -> Bool {
        !text.isEmpty && text.count <= 128
            && text.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) }
    }
}

/// POST bodies: empty, or a JSON object with no members this API does not know.
enum RequestBody {
    static func checkEmptyObject(_ request: Request, context: ServiceContext) async throws {
        var request = request
        let buffer: ByteBuffer
        do {
            buffer = try await request.collectBody(upTo: context.maxUploadSize)
        } catch {
            throw APIError(
                .contentTooLarge, code: "body-too-large", "the request body is over \(context.maxUploadSize) bytes")
        }
        let bytes = Array(buffer.readableBytesView)
        guard !bytes.allSatisfy({ [0x20, 0x09, 0x0a, 0x0d].contains($0) }) else { return }
        guard let object = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any] else {
            throw APIError(.badRequest, code: "malformed-json", "the request body is not a JSON object")
        }
        if let unknown = object.keys.sorted().first {
            throw APIError(
                .badRequest, code: "unknown-field", "unknown field \"\(unknown.prefix(64))\": send {} or nothing")
        }
    }
}
