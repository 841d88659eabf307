import Foundation
import HSMSyncCore
import HSMSyncModel
import HSMSyncTesting
import PKCS11
import SLIP39
import SecureMemory
import SignedLog
import Testing

// Test data only: these helpers turn exposed test secrets into hex and strings freely.

extension SecretBytes {
    /// A secret holding the UTF-8 of `text` (a test mnemonic or passphrase).
    init(text: String) {
        self.init(copying: Array(text.utf8))
    }

    /// A secret from hex digits.
    init(hex: String) {
        self.init(copying: hexBytes(hex))
    }

    /// The bytes as lower-case hex.
    var hex: String {
        withUnsafeBytes { bytes in bytes.map { String(format: "%02x", $0) }.joined() }
    }

    /// The bytes decoded as UTF-8 (a mnemonic).
    var text: String {
        withUnsafeBytes { String(decoding: $0, as: UTF8.self) }
    }
}

/// The bytes spelled by hex digits.
func hexBytes(_ hex: String) -> [UInt8] {
    var bytes: [UInt8] = []
    var index = hex.startIndex
    while index < hex.endIndex {
        let next = hex.index(index, offsetBy: 2)
        bytes.append(UInt8(hex[index..<next], radix: 16)!)
        index = next
    }
    return bytes
}

/// A 256-bit test key, distinct per `seed`.
func testKey(_ seed: UInt8 = 1) -> SecretBytes {
    SecretBytes(copying: (0..<32).map { UInt8(truncatingIfNeeded: Int($0) &* 37 &+ Int(seed) &* 101) })
}

/// Recovers with the given mnemonics, adding them in order.
func recover(_ mnemonics: [String], passphrase: String = "") throws -> SecretBytes {
    var recovery = ShareRecovery()
    for mnemonic in mnemonics {
        try recovery.add(SecretBytes(text: mnemonic))
    }
    return try recovery.recoverMasterSecret(passphrase: SecretBytes(text: passphrase))
}

/// A reproducible random source (SplitMix64) that also records what it handed out, so the same
/// stream can be given to the reference implementation.
final class DeterministicRandomSource: RandomByteSource {
    private var state: UInt64
    private var pending: [UInt8] = []
    private(set) var drawn: [UInt8] = []

    init(seed: UInt64) {
        state = seed
    }

    /// The first `count` bytes of the stream for `seed`.
    static func stream(seed: UInt64, count: Int) -> [UInt8] {
        DeterministicRandomSource(seed: seed).randomBytes(count: count).withUnsafeBytes { Array($0) }
    }

    func randomBytes(count: Int) -> SecretBytes {
        while pending.count < count {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            z ^= z >> 31
            withUnsafeBytes(of: z.bigEndian) { pending.append(contentsOf: $0) }
        }
        let bytes = Array(pending.prefix(count))
        pending.removeFirst(count)
        drawn += bytes
        return SecretBytes(copying: bytes)
    }
}

/// The SLIP-0039 test vectors of the reference implementation (Fixtures/slip39-vectors.json).
struct SLIP39Vector: Sendable, CustomTestStringConvertible {
    let description: String
    let mnemonics: [String]
    /// The master secret in hex, or empty when the mnemonics must be rejected.
    let secret: String

    var number: Int { Int(description.prefix { $0 != "." })! }
    var testDescription: String { description }

    static let all: [SLIP39Vector] = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/slip39-vectors.json")
        let data = try! Data(contentsOf: url)
        let entries = try! JSONSerialization.jsonObject(with: data) as! [[Any]]
        return entries.map { entry in
            SLIP39Vector(
                description: entry[0] as! String, mnemonics: entry[1] as! [String], secret: entry[2] as! String)
        }
    }()
}

/// The SLIP-0039 reference implementation, run through Tests/Python/slip39_oracle.py.
///
/// Interoperability is part of acceptance (issue 5), so these tests fail when python3 or the
/// `shamir-mnemonic` package is missing (Scripts/lib/ensure-dependencies installs it). As in that
/// script, `HSMSYNC_PYTHON` names the interpreter and `HSMSYNC_SKIP_PYTHON=1` skips them knowingly.
enum ReferenceOracle {
    static let isSkipped = ProcessInfo.processInfo.environment["HSMSYNC_SKIP_PYTHON"] == "1"

    static let python = ProcessInfo.processInfo.environment["HSMSYNC_PYTHON"] ?? "python3"

    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Python/slip39_oracle.py")

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// Runs `command` with `request` as JSON; returns the JSON answer and the exit status.
    static func call(_ command: String, _ request: [String: Any]) throws -> (answer: [String: Any], status: Int32) {
        let input = String(decoding: try JSONSerialization.data(withJSONObject: request), as: UTF8.self)
        let result = try CommandRunner.run(
            URL(fileURLWithPath: "/usr/bin/env"), [python, script.path, command], input: input)
        guard result.status == 0 || result.status == 1 else {
            throw Failure(
                description: "slip39_oracle.py \(command) failed (python3 -m pip install shamir-mnemonic?): \(result)")
        }
        let answer = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any] ?? [:]
        return (answer, result.status)
    }

    /// The reference's `combine_mnemonics`: the secret in hex, or the reference's error.
    static func combine(_ mnemonics: [String], passphrase: String = "") throws -> Result<String, Failure> {
        let (answer, status) = try call("combine", ["mnemonics": mnemonics, "passphrase": passphrase])
        if status == 0, let secret = answer["secret"] as? String {
            return .success(secret)
        }
        return .failure(Failure(description: answer["error"] as? String ?? "no answer"))
    }

    /// The reference's `generate_mnemonics`, optionally drawing from a given random stream.
    static func split(
        secret: String, groupThreshold: Int, groups: [(Int, Int)], passphrase: String = "", extendable: Bool = true,
        iterationExponent: Int = 1, random: [UInt8]? = nil
    ) throws -> (groups: [[String]], randomUsed: Int) {
        var request: [String: Any] = [
            "secret": secret, "group_threshold": groupThreshold, "groups": groups.map { [$0.0, $0.1] },
            "passphrase": passphrase, "extendable": extendable, "iteration_exponent": iterationExponent,
        ]
        if let random {
            request["random"] = random.map { String(format: "%02x", $0) }.joined()
        }
        let (answer, status) = try call("split", request)
        guard status == 0, let groups = answer["groups"] as? [[String]] else {
            throw Failure(description: "the reference refused to split: \(answer)")
        }
        return (groups, answer["random_used"] as? Int ?? 0)
    }

    /// The reference's word list.
    static func wordList() throws -> [String] {
        let (answer, _) = try call("wordlist", [:])
        return answer["words"] as? [String] ?? []
    }
}
