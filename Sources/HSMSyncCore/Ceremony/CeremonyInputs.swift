import Foundation
public import PKCS11

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
    func deliver(
        _ generated: GeneratedTransportKey, custodians: [String], fleet: String, step: String,
        delivery: ShareDelivery
    ) throws -> [String]
    /// The path of `witness`'s tlog-cosignature key file.
    func witnessKeyPath(step: String, witness: String) throws -> String
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

    public func deliver(
        _ generated: GeneratedTransportKey, custodians: [String], fleet: String, step: String,
        delivery: ShareDelivery
    ) throws -> [String] {
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

    private func sharesDirectory(_ label: String) -> String { "\(directory)/shares/\(label)" }
}
