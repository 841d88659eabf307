import Foundation
import HSMSyncTesting
import Testing

/// Help a new operator can follow (issue 13 item 13): an example in every command's help, each
/// default said once, and a mistyped command named with a suggestion.
@Suite("--help and mistyped commands")
struct HelpTests {
    /// Every command path, found by following the SUBCOMMANDS sections of `--help`.
    static func commands(_ path: [String] = []) throws -> [[String]] {
        let help = try CommandRunner.hsmsync(path + ["--help"])
        guard let section = help.stdout.components(separatedBy: "SUBCOMMANDS:").dropFirst().first else { return [path] }
        let names = section.split(separator: "\n").compactMap { line -> String? in
            guard line.hasPrefix("  "), !line.hasPrefix("   "), let word = line.split(separator: " ").first else {
                return nil
            }
            return String(word)
        }.filter { $0 != "See" && $0 != "help" }
        return try [path] + names.flatMap { try commands(path + [$0]) }
    }

    @Test("every command's --help has an example, and no default is said twice")
    func examples() throws {
        let all = try Self.commands()
        #expect(all.count > 25, "\(all)")
        for path in all {
            let help = try CommandRunner.hsmsync(path + ["--help"])
            #expect(help.status == 0, "\(path): \(help)")
            #expect(
                help.stdout.contains("Example: hsmsync "),
                "hsmsync \(path.joined(separator: " ")) --help has no example")
            for line in help.stdout.split(separator: "\n") {
                #expect(line.components(separatedBy: "(default:").count <= 2, "\(path): \(line)")
            }
        }
        let note = try CommandRunner.hsmsync(["log", "note", "--help"])
        #expect(note.stdout.components(separatedBy: "(default: operator)").count == 2, "\(note.stdout)")
    }

    @Test("a mistyped command is named, with the closest command, exit 2")
    func mistyped() throws {
        let audit = try CommandRunner.hsmsync(["audti", "--fleet", "fleet.yaml"])
        #expect(audit.status == 2, "\(audit)")
        #expect(audit.stderr.contains("hsmsync has no command 'audti'; did you mean 'audit'?"), "\(audit)")
        #expect(!audit.stderr.contains("Unknown option"), "\(audit)")
        let log = try CommandRunner.hsmsync(["log", "veriyf", "audit-log"])
        #expect(log.status == 2 && log.stderr.contains("did you mean 'verify'?"), "\(log)")
        let far = try CommandRunner.hsmsync(["frobnicate"])
        #expect(far.status == 2 && far.stderr.contains("has no command 'frobnicate' (commands: fleet,"), "\(far)")
        // Options and help are still ArgumentParser's.
        #expect(try CommandRunner.hsmsync(["help", "audit"]).status == 0)
        #expect(try CommandRunner.hsmsync(["--version"]).status == 0)
    }
}
