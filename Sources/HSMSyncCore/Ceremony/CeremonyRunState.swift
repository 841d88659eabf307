import Foundation
public import HSMSyncModel
public import SignedLog

/// The state file beside the log (`<log dir>.ceremony-<name>.json`): which run of the ceremony is
/// current and whether it finished. It only points at the run; which steps completed is read from
/// the signed log itself, so a lost or edited state file cannot make a step run twice unnoticed.
public struct CeremonyRunState: Codable, Sendable, Hashable {
    public var ceremony: String
    /// The run identifier recorded as `ceremony` in every entry of the run.
    public var run: String
    /// SHA-256 of the ceremony file the run started with.
    public var script: String
    public var status: String
    public var rehearsal: Bool

    public static let running = "running"
    public static let failed = "failed"
    public static let closed = "closed"

    /// The state file for `ceremony` next to the log directory `logDirectory`.
    public static func path(logDirectory: String, ceremony: String) -> String {
        let trimmed = logDirectory.hasSuffix("/") ? String(logDirectory.dropLast()) : logDirectory
        return "\(trimmed).ceremony-\(ceremony).json"
    }

    /// Reads the state, or `nil` when there is none.
    public static func read(_ path: String) throws -> CeremonyRunState? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        do {
            return try JSONDecoder().decode(CeremonyRunState.self, from: data)
        } catch {
            throw CeremonyError.invalid("the ceremony state file \(path) is damaged: \(error)")
        }
    }

    /// Replaces the state file atomically and durably.
    public func write(_ path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        do {
            try DurableFile.replace(path, with: Array(try encoder.encode(self)))
        } catch {
            throw CeremonyError.invalid("cannot write the ceremony state file \(path): \(error)")
        }
    }
}

/// What the signed log says about one run: the steps that completed (with their outputs) and how
/// many times each step began.
public struct CeremonyRunRecord: Sendable {
    public var completed: [String: [String: JSONValue]] = [:]
    public var begun: [String: Int] = [:]
    public var closed = false

    /// Reads every entry of `run` from the log's `entries.jsonl`.
    public static func read(logDirectory: String, run: String) throws -> CeremonyRunRecord {
        var record = CeremonyRunRecord()
        for entry in try CeremonyLogReader.entries(logDirectory: logDirectory) where entry.ceremony == run {
            guard let step = entry.step else {
                if entry.action == AuditAction.ceremonyClose.rawValue { record.closed = true }
                continue
            }
            if entry.action == AuditAction.ceremonyStepBegin.rawValue { record.begun[step, default: 0] += 1 }
            if entry.action == AuditAction.ceremonyStep.rawValue && entry.result == AuditResult.ok.rawValue {
                record.completed[step] = entry.outputs
            }
        }
        return record
    }
}

/// Reads the entries of a log directory (after or without verification; callers say which).
public enum CeremonyLogReader {
    public static func entries(logDirectory: String) throws -> [AuditEntry] {
        let path = LogDirectory(path: logDirectory).entries
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CeremonyError.invalid("cannot read \(path)")
        }
        var entries: [AuditEntry] = []
        for line in data.split(separator: 0x0A) {
            entries.append(try AuditEntry(line: Array(line)))
        }
        return entries
    }
}

extension AuditAction {
    /// A ceremony step is about to run (`step`, `actor`, the action and the step's title).
    public static let ceremonyStepBegin = AuditAction("ceremony.step.begin")
    /// A ceremony step ended: `result` ok, failed, refused or unknown, with its outputs.
    public static let ceremonyStep = AuditAction("ceremony.step")
    /// A failed run is continued (`--resume`).
    public static let ceremonyResume = AuditAction("ceremony.resume")
    /// A person confirmed something (what they were asked, that they answered as required).
    public static let ceremonyConfirm = AuditAction("ceremony.confirm")
    /// A custodian received a new share (its number and set; never its words).
    public static let ceremonyShareIssued = AuditAction("ceremony.share.issued")
    /// A custodian's share was entered and accepted (its number and set; never its words).
    public static let ceremonyShareEntered = AuditAction("ceremony.share.entered")
    /// A witness signed off: typed confirmation or a cosignature.
    public static let ceremonySignOff = AuditAction("ceremony.signoff")
}
