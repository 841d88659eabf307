import Crypto
public import Foundation
import HSMSyncCore
import HSMSyncModel

/// The bearer-token file: each token's name, role and SHA-256 — never the token itself.
///
/// ```yaml
/// tokens:
///   - name: prometheus
///     role: reader
///     sha256: 3f5c…
///     created: 2026-12-07T09:00:00Z
/// ```
public struct APITokenFile: Sendable {
    public struct Entry: Sendable, Hashable {
        public let name: String
        public let role: APIRole
        /// SHA-256 of the token's UTF-8 bytes.
        public let digest: [UInt8]
        public let created: String
    }

    public let path: String
    public private(set) var entries: [Entry]

    /// Reads the file; a missing file is an empty list (no token can be used until one is added).
    /// - Throws: ``YAMLError`` with the YAML path.
    public static func load(from path: String) throws -> APITokenFile {
        guard FileManager.default.fileExists(atPath: path) else { return APITokenFile(path: path, entries: []) }
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw YAMLError(
                file: path, path: "", line: nil, reason: "cannot read the token file: \(error.localizedDescription)")
        }
        let root = try YAMLValue.parse(text, file: path).mapping(allowedKeys: ["tokens"])
        var entries: [Entry] = []
        for value in try root.optional("tokens")?.sequence() ?? [] {
            let mapping = try value.mapping(allowedKeys: ["name", "role", "sha256", "created"])
            let name = try mapping.required("name").nonEmptyString()
            let roleValue = try mapping.required("role")
            guard let role = APIRole(rawValue: try roleValue.string()) else {
                throw roleValue.error("expected reader or operator")
            }
            let digestValue = try mapping.required("sha256")
            guard let digest = Hex.decode(try digestValue.string()), digest.count == 32 else {
                throw digestValue.error("expected 64 hex digits (the SHA-256 of the token)")
            }
            if entries.contains(where: { $0.name == name }) {
                throw value.error("duplicate token name \"\(name)\"")
            }
            entries.append(
                Entry(name: name, role: role, digest: digest, created: try mapping.optional("created")?.string() ?? ""))
        }
        return APITokenFile(path: path, entries: entries)
    }

    /// The entry whose digest matches `token` (compared in constant time), if any.
    public func authenticate(_ token: some StringProtocol) -> Entry? {
        let digest = Array(SHA256.hash(data: Array(token.utf8)))
        var found: Entry?
        for entry in entries {
            var difference: UInt8 = 0
            for (left, right) in zip(entry.digest, digest) { difference |= left ^ right }
            if difference == 0 { found = entry }
        }
        return found
    }

    /// Adds a new random token and writes the file (mode 0600, replaced atomically).
    /// - Returns: the token, to be shown once.
    public mutating func add(name: String, role: APIRole, at date: Date) throws -> String {
        guard !entries.contains(where: { $0.name == name }) else {
            throw APITokenError.duplicateName(name)
        }
        var random = [UInt8](repeating: 0, count: 32)
        var generator = SystemRandomNumberGenerator()
        for index in random.indices { random[index] = generator.next() }
        let token =
            "hsmsync_"
            + Base64.encode(random).replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        entries.append(
            Entry(
                name: name, role: role, digest: Array(SHA256.hash(data: Array(token.utf8))),
                created: RFC3339.seconds.string(from: date)))
        try DurableFile.replace(path, with: Array(rendered().utf8), mode: 0o600)
        return token
    }

    private func rendered() -> String {
        var text = "# hsmsync API tokens: SHA-256 digests only; add with `hsmsync serve token add`.\ntokens:\n"
        for entry in entries {
            text += "  - name: \"\(entry.name)\"\n    role: \(entry.role.rawValue)\n"
            text += "    sha256: \(Hex.encode(entry.digest))\n    created: \"\(entry.created)\"\n"
        }
        return text
    }
}

public enum APITokenError: Error, CustomStringConvertible {
    case duplicateName(String)
    case badName(String)

    public var description: String {
        switch self {
        case .duplicateName(let name): "a token named \"\(name)\" already exists"
        case .badName(let name): "\"\(name)\": token names use letters, digits, '.', '_', '@' and '-' only"
        }
    }
}
