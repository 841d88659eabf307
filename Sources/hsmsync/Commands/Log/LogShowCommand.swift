import ArgumentParser
import Foundation
import Glibc
import HSMSyncCore
import HSMSyncModel
import SignedLog

/// `hsmsync log show DIR|--fleet F [--tail N] [--action GLOB] [--since TIME] [--json]`.
struct LogShowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "List a log's entries, with hashes and the latest root also as PGP words.",
        discussion: """
            show reads without verifying; run log verify to check the log. Filters apply in this order: \
            --since, --action, then --tail; entries keep their index in the log.

            Example: hsmsync log show --fleet /etc/hsmsync/fleet.yaml --action 'replicate.*' --since 2026-12-01 --tail 20
            """
    )

    @Argument(help: "The log directory (not with --fleet).")
    var directory: String?

    @Option(name: .long, help: ArgumentHelp("Show the log of this fleet file's log: section.", valueName: "file"))
    var fleet: String?

    @Option(name: .long, help: ArgumentHelp("Only the last N entries (after the other filters).", valueName: "n"))
    var tail: Int?

    @Option(
        name: .long, help: ArgumentHelp("Only entries whose action matches, e.g. 'replicate.*'.", valueName: "glob"))
    var action: String?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Only entries at or after this time (RFC 3339, or a date YYYY-MM-DD in UTC).", valueName: "time"))
    var since: String?

    @Flag(name: .long, help: "Print one JSON document on stdout.")
    var json = false

    func validate() throws {
        guard (directory == nil) != (fleet == nil) else {
            throw ValidationError("give the log directory, or --fleet FILE")
        }
        if let tail, tail < 0 { throw ValidationError("--tail must not be negative") }
        if let since, Self.instant(since) == nil {
            throw ValidationError("--since \(since): not an RFC 3339 time or a date YYYY-MM-DD")
        }
    }

    func run() async throws {
        let path: String
        if let fleet {
            guard let settings = try Fleet.load(from: fleet).log else {
                throw ValidationError("\(fleet) has no log: section")
            }
            path = settings.directory
        } else {
            path = directory!
        }
        var listing = try LogListing(directory: LogDirectory(path: path))
        listing.filter(since: since.flatMap(Self.instant), action: action, tail: tail)
        if json {
            printJSON(listing.json)
        } else {
            for line in listing.textLines { Console.out(line) }
        }
    }

    /// Seconds since 1970 of an RFC 3339 time, or of midnight UTC of a `YYYY-MM-DD` date.
    static func instant(_ text: String) -> Int64? {
        RFC3339.parse(text)?.seconds ?? RFC3339.parse(text + "T00:00:00Z")?.seconds
    }
}

/// What `log show` prints.
struct LogListing {
    struct Item {
        let index: Int
        let entry: AuditEntry?
        let leafHash: MerkleHash
        let problem: String?
    }

    let vkey: String?
    private(set) var items: [Item]
    let latest: Checkpoint?
    let tornBytes: Int

    init(directory: LogDirectory) throws {
        vkey = (try? LogFiles.read(directory.vkey)).map {
            String(decoding: $0, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        }
        let bytes = try LogFiles.read(directory.entries)
        var lines = bytes.split(separator: 0x0A, omittingEmptySubsequences: false)
        let torn = lines.removeLast()  // after the last newline: empty unless torn
        tornBytes = torn.count
        items = lines.enumerated().map { index, line in
            let bytes = Array(line)
            do {
                let entry = try AuditEntry(line: bytes)
                return Item(index: index, entry: entry, leafHash: entry.leafHash, problem: nil)
            } catch {
                return Item(index: index, entry: nil, leafHash: TreeHasher.leafHash(bytes), problem: "\(error)")
            }
        }
        latest = (try? LogFiles.read(directory.latestCheckpoint)).flatMap { try? SignedNote(parsing: $0) }
            .flatMap { try? Checkpoint(text: $0.text) }
    }

    /// Keeps the entries at or after `since` (seconds since 1970) whose action matches `action` (a
    /// glob), then the last `tail` of them. Unparsable lines go only when a filter needs what they lack.
    mutating func filter(since: Int64?, action: String?, tail: Int?) {
        if let since {
            items = items.filter { item in
                item.entry?.time.flatMap { RFC3339.parse($0)?.seconds }.map { $0 >= since } ?? false
            }
        }
        if let action {
            items = items.filter { item in item.entry?.action.map { fnmatch(action, $0, 0) == 0 } ?? false }
        }
        if let tail { items = Array(items.suffix(tail)) }
    }

    var textLines: [String] {
        var lines: [String] = []
        if let vkey { lines.append("vkey \(vkey)") }
        for item in items {
            if let entry = item.entry {
                var head = "#\(entry.seq.map(String.init) ?? "?") \(entry.time ?? "?") \(entry.action ?? "?")"
                if let actor = entry.actorID { head += " by \(actor)" }
                if let ceremony = entry.ceremony { head += " ceremony \(ceremony)" }
                if let step = entry.step { head += " step \(step)" }
                head += " → \(entry.result ?? "?")"
                lines.append(head)
                if !entry.outputs.isEmpty {
                    lines.append(
                        "    outputs " + String(decoding: CanonicalJSON.encode(.object(entry.outputs)), as: UTF8.self))
                }
                if !entry.detail.isEmpty {
                    lines.append(
                        "    detail  " + String(decoding: CanonicalJSON.encode(.object(entry.detail)), as: UTF8.self))
                }
            } else {
                lines.append("#\(item.index) UNPARSABLE: \(item.problem ?? "")")
            }
            lines.append("    leaf    \(item.leafHash.hex)")
            lines.append("    words   \(PGPWords.string(for: item.leafHash.bytes))")
        }
        if tornBytes > 0 { lines.append("(\(tornBytes) byte(s) after the last newline: a torn tail)") }
        if let latest {
            lines.append("latest checkpoint  size \(latest.size)")
            lines.append("root (hex)         \(latest.rootHash.hex)")
            lines.append("root (base64)      \(latest.rootHash.base64)")
            lines.append("root (words)       \(PGPWords.string(for: latest.rootHash.bytes))")
        }
        return lines
    }

    var json: JSONValue {
        let entries: [JSONValue] = items.map { item in
            var members: [String: JSONValue] = [
                "index": .integer(Int64(item.index)), "leafHash": .string(item.leafHash.hex),
                "leafHashWords": .string(PGPWords.string(for: item.leafHash.bytes)),
            ]
            if let entry = item.entry { members["entry"] = .object(entry.fields) }
            if let problem = item.problem { members["problem"] = .string(problem) }
            return .object(members)
        }
        var document: [String: JSONValue] = ["entries": .array(entries), "tornBytes": .integer(Int64(tornBytes))]
        if let vkey { document["vkey"] = .string(vkey) }
        if let latest {
            document["latestCheckpoint"] = .object([
                "origin": .string(latest.origin), "size": .integer(Int64(latest.size)),
                "rootHex": .string(latest.rootHash.hex), "rootBase64": .string(latest.rootHash.base64),
                "rootWords": .string(PGPWords.string(for: latest.rootHash.bytes)),
            ])
        }
        return .object(document)
    }
}
