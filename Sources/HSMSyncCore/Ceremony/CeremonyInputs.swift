import Foundation
import HSMSyncModel
public import SecureMemory
import SignedLog

/// Where the people of a ceremony answer: at the terminal (the CLI's implementation) or, for
/// automation and tests, from files in an inputs directory (``DirectoryCeremonyInputs``).
public protocol CeremonyInputs: Sendable {
    /// `interactive` or `inputs DIR`, for the log.
    var mode: String { get }
    /// Whether a refused share may be entered again (a person at a prompt can retype; a file cannot change).
    var allowsRetry: Bool { get }
    /// What `person` types in answer to `prompt` (one line, not secret).
    func line(step: String, person: String, prompt: String) throws -> String
    /// A custodian's share, typed at a hidden prompt or read from their share file.
    func share(step: String, custodian: String, number: Int, count: Int, label: String) throws -> SecretBytes
    /// Hands new shares to the custodians (share *i* to custodian *i*); returns the files written,
    /// so they can be removed if the key is not installed.
    func deliver(_ generated: GeneratedTransportKey, custodians: [String], fleet: String) throws -> [String]
    /// The path of `witness`'s tlog-cosignature key file.
    func witnessKeyPath(step: String, witness: String) throws -> String
    /// Checks, before any HSM is touched, that every answer the steps will need can be given.
    func preflight(_ steps: [CeremonyStep], roles: CeremonyRoles, transportLabel: String) throws
}

extension CeremonyInputs {
    /// People at a terminal are asked when their step comes.
    public func preflight(_ steps: [CeremonyStep], roles: CeremonyRoles, transportLabel: String) throws {}
}

/// Non-interactive answers from a directory (documented in docs/ceremony-format.md):
///
/// - `DIR/<step-id>/<person>.txt` — what that person types at that step (first line);
/// - `DIR/shares/<transport label>/transport-share-<i>-of-<N>.txt` — custodian *i*'s share file
///   (mode 0600), read by `transport-install` and written by `transport-create`;
/// - `DIR/witness-keys/<witness>.key` — a witness's cosignature key file.
public struct DirectoryCeremonyInputs: CeremonyInputs {
    public let directory: String

    public init(directory: String) throws(CeremonyError) {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw .invalid("--inputs \(directory) is not a directory")
        }
        self.directory = directory
    }

    public var mode: String { "inputs \(directory)" }
    public var allowsRetry: Bool { false }

    public func line(step: String, person: String, prompt: String) throws -> String {
        let path = "\(directory)/\(step)/\(person).txt"
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8)
        else { throw CeremonyError.inputMissing(step: step, path: path) }
        return String(text.split(separator: "\n", omittingEmptySubsequences: false).first ?? "")
            .trimmingCharacters(in: .whitespaces)
    }

    public func share(step: String, custodian: String, number: Int, count: Int, label: String) throws -> SecretBytes {
        let path = sharesDirectory(label) + "/" + ShareFilePlan.fileName(number: number, count: count)
        guard FileManager.default.isReadableFile(atPath: path) else {
            throw CeremonyError.inputMissing(step: step, path: path)
        }
        return try ShareFileReader.read(path)
    }

    public func deliver(_ generated: GeneratedTransportKey, custodians: [String], fleet: String) throws -> [String] {
        let target = sharesDirectory(generated.label)
        try FileManager.default.createDirectory(
            atPath: target, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        return try ShareFilePlan(directory: target, count: custodians.count).write(generated, fleet: fleet)
    }

    public func witnessKeyPath(step: String, witness: String) throws -> String {
        let path = "\(directory)/witness-keys/\(witness).key"
        guard FileManager.default.isReadableFile(atPath: path) else {
            throw CeremonyError.inputMissing(step: step, path: path)
        }
        return path
    }

    /// Every answer file the steps read is present, and no share file a `transport-create` would
    /// write exists yet (inputs present, outputs absent), so a run never stops for a missing file.
    public func preflight(_ steps: [CeremonyStep], roles: CeremonyRoles, transportLabel: String) throws {
        var needed: [(step: String, path: String)] = []
        var absent: [(step: String, path: String)] = []
        var sharesWritten = false
        let count = roles.custodians.count
        func answer(_ step: CeremonyStep, _ person: String) {
            needed.append((step.id, "\(directory)/\(step.id)/\(person).txt"))
        }
        for step in steps {
            switch step.action {
            case .confirm: answer(step, step.by)
            case .destroyKey(_, _, _, _, let confirmedBy): confirmedBy.forEach { answer(step, $0) }
            case .witnessSignOff(let witnesses, _, .typed): witnesses.forEach { answer(step, $0) }
            case .witnessSignOff(let witnesses, _, .cosignature):
                needed += witnesses.map { (step.id, "\(directory)/witness-keys/\($0).key") }
            case .transportCreate:
                absent += (1...count).map {
                    (step.id, sharesDirectory(transportLabel) + "/" + ShareFilePlan.fileName(number: $0, count: count))
                }
                sharesWritten = true
            case .transportInstall(_, let custodians, let kcv):
                if kcv == .prompt { answer(step, roles.master) }
                if !sharesWritten {
                    for custodian in custodians {
                        let number = (roles.custodians.firstIndex(of: custodian) ?? 0) + 1
                        needed.append(
                            (
                                step.id,
                                sharesDirectory(transportLabel) + "/"
                                    + ShareFilePlan.fileName(number: number, count: count)
                            ))
                    }
                }
            default: break
            }
        }
        for (step, path) in needed where !FileManager.default.isReadableFile(atPath: path) {
            throw CeremonyError.inputMissing(step: step, path: path)
        }
        for (step, path) in absent where FileManager.default.fileExists(atPath: path) {
            throw CeremonyError.invalid("step \(step): \(path) exists; a new share file never overwrites one")
        }
    }

    private func sharesDirectory(_ label: String) -> String { "\(directory)/shares/\(label)" }
}
