import Foundation
import HSMSyncTesting
import PKCS11
import Testing

/// Custodian input (issue 13 item 12): a bad share file among enough good ones is named and left
/// out; shares are numbered by their own number, entries by their order; a mistyped witness name
/// may be typed again, and the prompt names the witness once.
@Suite("custodian and witness input")
struct CustodianInputTests {
    @Test(
        "four share files, one with a word not in the list: named (by position, never echoed), left out; the three good ones install"
    )
    func badFileAmongFour() async throws {
        let (fleet, tokens) = try await TransportCommandTests.fleet("ci")
        let shares = try TemporaryDirectory(prefix: "ci-shares")
        let created = try fleet.hsmsync([
            "transport", "create", "--fleet", fleet.path, "--hsm", "primary-1", "--shares", "5", "--threshold", "3",
            "--out-dir", shares.url.path,
        ])
        #expect(created.status == 0, "\(created)")
        let files = (1...5).map { shares.path("transport-share-\($0)-of-5.txt") }
        // Share 2's file gets a word that is not in the list, in place of its 17th word.
        let text = try String(contentsOfFile: files[1], encoding: .utf8)
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        var position = 0
        let bad = "zzzqword"
        for (index, line) in lines.enumerated() where !line.hasPrefix("#") && !line.isEmpty {
            var words = line.split(separator: " ").map(String.init)
            for wordIndex in words.indices {
                position += 1
                if position == 17 { words[wordIndex] = bad }
            }
            lines[index] = words.joined(separator: " ")
        }
        try lines.joined(separator: "\n").write(toFile: files[1], atomically: true, encoding: .utf8)

        let installed = try fleet.hsmsync([
            "transport", "install", "--fleet", fleet.path, "--hsm", "dr-1", "--share", files[0], files[1], files[2],
            files[4],
        ])
        #expect(installed.status == 0, "\(installed)")
        #expect(
            installed.stderr.contains(
                "\(files[1]): REFUSED, left out: entry 2, word 17 is not in the SLIP-0039 word list"),
            "\(installed)")
        #expect(!(installed.stdout + installed.stderr).contains(bad), "the mistyped word is never echoed")
        // One numbering: the file named share 3 is accepted as share 3 (the third entry accepted).
        #expect(installed.stderr.contains("\(files[2]): accepted share 3 of set "), "\(installed)")
        #expect(installed.stderr.contains("\(files[4]): accepted share 5 of set "), "\(installed)")
        #expect(try await TransportCommandTests.transportObjects(tokens[1]) == 1)

        // With only two good files left, the bad one stops the install, nothing imported.
        let tooFew = try fleet.hsmsync([
            "transport", "install", "--fleet", fleet.path, "--hsm", "dr-1", "--share", files[0], files[1], files[2],
        ])
        #expect(tooFew.status == 2, "\(tooFew)")
    }

    @Test(
        "witness sign-off at a terminal: the prompt names the witness once; a mistyped name is asked again",
        .enabled(if: ProcessInfo.processInfo.environment["HSMSYNC_SKIP_PYTHON"] != "1"))
    func witnessRetry() async throws {
        let fleet = try await CeremonyCommandTests.makeFleet()
        let file = fleet.directory.path("t.yaml")
        try CeremonyCommandTests.validScript.write(toFile: file, atomically: true, encoding: .utf8)
        let result = try TransportCommandTests.onTerminal(
            fleet, ["ceremony", "run", file],
            steps: [
                ["expect": "Type yes to confirm: ", "send": "yes\n"],
                ["expect": "Type your name to sign: ", "send": "Wx\n"],
                ["expect": "type it again", "send": ""],
                ["expect": "Type your name to sign: ", "send": "W\n"],
            ])
        #expect(result.status == 0, "\(result)")
        #expect(result.stdout.contains("[sign] W: I saw it."), "\(result)")
        #expect(!result.stdout.contains("W: W:"), "the witness is named once: \(result)")
        #expect(result.stdout.contains("ceremony t closed"), "\(result)")
    }
}
