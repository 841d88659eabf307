import Foundation
public import HSMSyncModel
import SignedLog
import Yams

/// Where and why a YAML document was refused: `fleet.yaml:12: hsms[1].pin: expected …`.
public struct YAMLError: CategorizedError, Hashable {
    /// The file, as the operator named it.
    public let file: String
    /// The YAML path of the offending node (`hsms[1].pin`), empty for the document.
    public let path: String
    /// The 1-based line, when known.
    public let line: Int?
    public let reason: String

    public init(file: String, path: String, line: Int?, reason: String) {
        self.file = file
        self.path = path
        self.line = line
        self.reason = reason
    }

    public var category: FailureCategory { .invalidInput }

    public var description: String {
        let location = line.map { "\(file):\($0)" } ?? file
        return path.isEmpty ? "\(location): \(reason)" : "\(location): \(path): \(reason)"
    }
}

/// A node of a strictly read YAML document, with its path for error messages.
///
/// Yams' `YAMLDecoder` ignores unknown keys; operators' files must not be read that way. Every
/// accessor checks the node's kind and type, mappings reject unknown and duplicate keys, and
/// anchors/aliases are refused so that what a reviewer reads is what the tool does.
public struct YAMLValue {
    let node: Node
    /// The YAML path (`hsms[1].pin`).
    public let path: String
    let file: String

    /// Parses a single-document YAML text.
    public static func parse(_ text: String, file: String) throws(YAMLError) -> YAMLValue {
        let node: Node?
        do {
            node = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw YAMLError(file: file, path: "", line: error.lineNumber, reason: error.operatorReason)
        } catch {
            throw YAMLError(file: file, path: "", line: nil, reason: "\(error)")
        }
        guard let node else {
            throw YAMLError(file: file, path: "", line: nil, reason: "the document is empty")
        }
        return YAMLValue(node: node, path: "", file: file)
    }

    /// An error about this node.
    public func error(_ reason: String) -> YAMLError {
        YAMLError(file: file, path: path, line: node.mark.map { $0.line }, reason: reason)
    }

    /// Whether the node is YAML null (`~`, `null` or empty).
    public var isNull: Bool {
        if case .scalar(let scalar) = node { return node.tagName == .null && scalar.style == .plain }
        return false
    }

    private var kind: String {
        switch node {
        case .scalar(let scalar):
            switch scalar.style {
            case .plain: return "a \(node.tagName.rawValue.replacingOccurrences(of: "tag:yaml.org,2002:", with: ""))"
            default: return "a string"
            }
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .alias: return "an alias"
        }
    }

    /// A string. Plain scalars that YAML would read as a number are accepted as their text;
    /// booleans and null are not (a `yes` where a name belongs is a mistake).
    public func string() throws(YAMLError) -> String {
        guard case .scalar(let scalar) = node else {
            throw error("expected a string, found \(kind)")
        }
        if scalar.style == .plain {
            let tag = node.tagName
            guard tag == .str || tag == .int || tag == .float else {
                throw error("expected a string, found \(kind) (quote it if you mean the text \"\(scalar.string)\")")
            }
        }
        return scalar.string
    }

    /// A non-empty string.
    public func nonEmptyString() throws(YAMLError) -> String {
        let value = try string()
        guard !value.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw error("must not be empty")
        }
        return value
    }

    /// A boolean (`true`/`false`).
    public func bool() throws(YAMLError) -> Bool {
        guard case .scalar(let scalar) = node, scalar.style == .plain, let value = Bool.construct(from: scalar),
            ["true", "false"].contains(scalar.string)
        else {
            throw error("expected true or false, found \(kind)")
        }
        return value
    }

    /// An integer.
    public func int() throws(YAMLError) -> Int {
        guard case .scalar(let scalar) = node, scalar.style == .plain, node.tagName == .int,
            let value = Int(scalar.string)
        else {
            throw error("expected an integer, found \(kind)")
        }
        return value
    }

    /// The elements of a list.
    public func sequence() throws(YAMLError) -> [YAMLValue] {
        guard case .sequence(let sequence) = node else {
            throw error("expected a list, found \(kind)")
        }
        return try sequence.enumerated().map { (index, element) throws(YAMLError) in
            try YAMLValue.checked(element, path: "\(path)[\(index)]", file: file)
        }
    }

    /// A list of strings.
    public func stringList() throws(YAMLError) -> [String] {
        try sequence().map { (element) throws(YAMLError) in try element.string() }
    }

    /// A mapping whose keys must all be in `allowedKeys`.
    public func mapping(allowedKeys: [String]) throws(YAMLError) -> YAMLMapping {
        guard case .mapping(let mapping) = node else {
            throw error("expected a mapping, found \(kind)")
        }
        var entries: [String: YAMLValue] = [:]
        var order: [String] = []
        for (keyNode, valueNode) in mapping {
            let keyValue = YAMLValue(node: keyNode, path: path, file: file)
            guard case .scalar(let scalar) = keyNode else {
                throw keyValue.error("mapping keys must be plain strings")
            }
            let key = scalar.string
            let childPath = path.isEmpty ? key : "\(path).\(key)"
            guard allowedKeys.contains(key) else {
                let known = allowedKeys.joined(separator: ", ")
                throw YAMLError(
                    file: file, path: childPath, line: keyNode.mark.map { $0.line },
                    reason: "unknown key \"\(key)\" (allowed here: \(known))")
            }
            guard entries[key] == nil else {
                throw YAMLError(
                    file: file, path: childPath, line: keyNode.mark.map { $0.line }, reason: "duplicate key \"\(key)\"")
            }
            entries[key] = try YAMLValue.checked(valueNode, path: childPath, file: file)
            order.append(key)
        }
        return YAMLMapping(owner: self, entries: entries, keys: order)
    }

    private static func checked(_ node: Node, path: String, file: String) throws(YAMLError) -> YAMLValue {
        let value = YAMLValue(node: node, path: path, file: file)
        if case .alias = node {
            throw value.error("anchors and aliases are not allowed")
        }
        return value
    }
}

/// A mapping whose keys were checked against an allowed set.
public struct YAMLMapping {
    let owner: YAMLValue
    let entries: [String: YAMLValue]
    /// The keys in document order.
    public let keys: [String]

    /// The value of a required key.
    public func required(_ key: String) throws(YAMLError) -> YAMLValue {
        guard let value = entries[key], !value.isNull else {
            throw YAMLError(
                file: owner.file, path: owner.path.isEmpty ? key : "\(owner.path).\(key)",
                line: owner.node.mark.map { $0.line }, reason: "required key \"\(key)\" is missing")
        }
        return value
    }

    /// The value of an optional key; `nil` when absent or null.
    public func optional(_ key: String) -> YAMLValue? {
        guard let value = entries[key], !value.isNull else { return nil }
        return value
    }

    /// An error about the mapping itself.
    public func error(_ reason: String) -> YAMLError { owner.error(reason) }
}

extension YamlError {
    /// The 1-based line the parser stopped at, when it says.
    fileprivate var lineNumber: Int? {
        switch self {
        case .scanner(_, _, let mark, _), .parser(_, _, let mark, _), .composer(_, _, let mark, _):
            return mark.line
        case .duplicatedKeysInMapping(_, let context):
            return context.mark.line
        default:
            return nil
        }
    }

    /// The parser's complaint without the echo of the whole document.
    fileprivate var operatorReason: String {
        switch self {
        case .scanner(let context, let problem, _, _), .parser(let context, let problem, _, _),
            .composer(let context, let problem, _, _):
            return context.map { "\(problem) \($0.text)" } ?? problem
        case .reader(let problem, let offset, _, _):
            return offset.map { "\(problem) at byte offset \($0)" } ?? problem
        case .duplicatedKeysInMapping(let duplicates, _):
            return "duplicate key(s) \(duplicates.joined(separator: ", "))"
        default:
            return "\(self)"
        }
    }
}

extension Node {
    /// The resolved tag's name (`Tag.name` itself is internal to Yams).
    fileprivate var tagName: Tag.Name { Tag.Name(rawValue: tag.rawValue) }
}
