public import HSMSyncModel

/// A C2SP tlog-policy file: the known logs, the witnesses, witness groups and the quorum a
/// checkpoint's cosignatures must meet.
///
/// ```
/// log <vkey> [url]
/// witness <name> <vkey> [url]
/// group <name> <k|all|any> <member>…
/// quorum <group|witness|none>
/// ```
/// Parsed strictly: allowed bytes are tab, newline, 0x20–0x7E and 0x80–0xFF (names must be
/// UTF-8 here); a group or the quorum may only name what earlier lines defined; each member at
/// most once; `1 ≤ k ≤ n`; no two logs or witnesses with the same public key; exactly one quorum.
public struct WitnessPolicy: Hashable, Sendable {
    /// A witness of the policy.
    public struct Witness: Hashable, Sendable {
        public let name: String
        public let key: VerifierKey
        public let url: String?
    }

    /// A group: satisfied when at least `threshold` of its members are.
    public struct Group: Hashable, Sendable {
        public let name: String
        public let threshold: Int
        public let members: [String]
    }

    /// The logs' keys.
    public let logs: [VerifierKey]
    /// The witnesses.
    public let witnesses: [Witness]
    /// The groups, in definition order.
    public let groups: [Group]
    /// The quorum: a witness or group name, or `none`.
    public let quorum: String

    /// The raw policy bytes (their SHA-256 goes into `log.open`).
    public let bytes: [UInt8]

    /// Parses a policy file.
    /// - Throws: ``PolicyFormatError`` with the line number.
    public init(parsing bytes: [UInt8]) throws(PolicyFormatError) {
        if let bad = bytes.firstIndex(where: { $0 < 0x20 && $0 != 0x09 && $0 != 0x0A || $0 == 0x7F }) {
            let line = bytes[..<bad].count(where: { $0 == 0x0A }) + 1
            throw PolicyFormatError(line: line, reason: "control character 0x\(Hex.encode([bytes[bad]]))")
        }
        var logs: [VerifierKey] = []
        var witnesses: [Witness] = []
        var groups: [Group] = []
        var quorum: String?
        var defined: Set<String> = []
        for (index, rawLine) in bytes.split(separator: 0x0A, omittingEmptySubsequences: false).enumerated() {
            let number = index + 1
            guard let text = String(validating: rawLine, as: UTF8.self) else {
                throw PolicyFormatError(line: number, reason: "not UTF-8")
            }
            let fields = text.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            guard let keyword = fields.first, !keyword.hasPrefix("#") else { continue }
            switch keyword {
            case "log":
                logs.append(try Self.parseLog(fields, line: number, known: logs))
            case "witness":
                witnesses.append(try Self.parseWitness(fields, line: number, known: witnesses, defined: &defined))
            case "group":
                groups.append(try Self.parseGroup(fields, line: number, defined: &defined))
            case "quorum":
                guard fields.count == 2 else {
                    throw PolicyFormatError(line: number, reason: "expected: quorum <name>")
                }
                guard quorum == nil else { throw PolicyFormatError(line: number, reason: "a second quorum line") }
                guard fields[1] == "none" || defined.contains(fields[1]) else {
                    throw PolicyFormatError(line: number, reason: "\(fields[1]) is not defined on an earlier line")
                }
                quorum = fields[1]
            default:
                throw PolicyFormatError(line: number, reason: "unknown keyword \"\(keyword)\"")
            }
        }
        guard let quorum else { throw PolicyFormatError(line: 0, reason: "the policy has no quorum line") }
        self.logs = logs
        self.witnesses = witnesses
        self.groups = groups
        self.quorum = quorum
        self.bytes = bytes
    }

    /// The key of a `log <vkey> [url]` line.
    private static func parseLog(_ fields: [String], line number: Int, known logs: [VerifierKey])
        throws(PolicyFormatError) -> VerifierKey
    {
        guard (2...3).contains(fields.count) else {
            throw PolicyFormatError(line: number, reason: "expected: log <vkey> [url]")
        }
        let key = try Self.key(fields[1], line: number)
        guard key.type == .ed25519 || key.type == .ecdsa else {
            throw PolicyFormatError(line: number, reason: "a log key has type 0x01 or 0x02, not \(key.type)")
        }
        guard !logs.contains(where: { $0.publicKey == key.publicKey }) else {
            throw PolicyFormatError(line: number, reason: "duplicate log key")
        }
        return key
    }

    /// The witness of a `witness <name> <vkey> [url]` line, whose name it defines.
    private static func parseWitness(
        _ fields: [String], line number: Int, known witnesses: [Witness], defined: inout Set<String>
    ) throws(PolicyFormatError) -> Witness {
        guard (3...4).contains(fields.count) else {
            throw PolicyFormatError(line: number, reason: "expected: witness <name> <vkey> [url]")
        }
        let name = fields[1]
        try Self.define(name, in: &defined, line: number)
        let key = try Self.key(fields[2], line: number)
        guard key.type == .cosignatureV1 else {
            throw PolicyFormatError(line: number, reason: "a witness key is a cosignature (0x04) vkey")
        }
        guard !witnesses.contains(where: { $0.key.publicKey == key.publicKey }) else {
            throw PolicyFormatError(line: number, reason: "duplicate witness key")
        }
        return Witness(name: name, key: key, url: fields.count == 4 ? fields[3] : nil)
    }

    /// The group of a `group <name> <k|all|any> <member>…` line, whose name it defines.
    private static func parseGroup(_ fields: [String], line number: Int, defined: inout Set<String>)
        throws(PolicyFormatError) -> Group
    {
        guard fields.count >= 4 else {
            throw PolicyFormatError(line: number, reason: "expected: group <name> <k|all|any> <member>…")
        }
        let name = fields[1]
        let members = Array(fields[3...])
        for member in members where !defined.contains(member) {
            throw PolicyFormatError(line: number, reason: "\(member) is not defined on an earlier line")
        }
        guard Set(members).count == members.count else {
            throw PolicyFormatError(line: number, reason: "a member is listed twice")
        }
        let threshold: Int
        switch fields[2] {
        case "all": threshold = members.count
        case "any": threshold = 1
        default:
            guard fields[2].allSatisfy(\.isASCII), let k = Int(fields[2]), k >= 1, k <= members.count,
                fields[2].first != "0"
            else {
                throw PolicyFormatError(
                    line: number, reason: "threshold \(fields[2]) is not all, any or 1…\(members.count)")
            }
            threshold = k
        }
        try Self.define(name, in: &defined, line: number)
        return Group(name: name, threshold: threshold, members: members)
    }

    private static func define(_ name: String, in defined: inout Set<String>, line: Int) throws(PolicyFormatError) {
        guard name != "none" else { throw PolicyFormatError(line: line, reason: "\"none\" is reserved") }
        guard defined.insert(name).inserted else {
            throw PolicyFormatError(line: line, reason: "\(name) is defined twice")
        }
    }

    private static func key(_ text: String, line: Int) throws(PolicyFormatError) -> VerifierKey {
        do {
            return try VerifierKey(parsing: text)
        } catch {
            throw PolicyFormatError(line: line, reason: "bad vkey: \(error.reason)")
        }
    }

    /// The policy witness whose key made `signature` (same name and key ID), if any.
    public func witness(for signature: NoteSignature) -> Witness? {
        witnesses.first { $0.key.matches(signature) }
    }

    /// Whether cosignatures from the witnesses named in `cosigners` meet the quorum.
    public func isSatisfied(byWitnesses cosigners: Set<String>) -> Bool {
        guard quorum != "none" else { return true }
        var satisfied = cosigners
        for group in groups {
            // Groups only name earlier definitions, so one pass in order settles every group.
            if group.members.count(where: { satisfied.contains($0) }) >= group.threshold {
                satisfied.insert(group.name)
            }
        }
        return satisfied.contains(quorum)
    }
}

/// A tlog-policy file that does not follow the grammar.
public struct PolicyFormatError: CategorizedError, Hashable, Sendable {
    /// The 1-based line (0 for the file as a whole).
    public let line: Int
    public let reason: String

    public var category: FailureCategory { .invalidInput }

    public var description: String {
        line > 0 ? "policy line \(line): \(reason)" : "policy: \(reason)"
    }
}
