import Foundation
import HSMSyncTesting
import Testing

/// Every relative link in README.md and docs/ resolves, and no document cites the team's private
/// notes (issue 13 item 7): `Scripts/lib/check-doc-links`, run on the repository and on a document
/// with a broken link, which it must catch.
@Suite("Documentation links")
struct DocumentationLinkTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let script = root.appendingPathComponent("Scripts/lib/check-doc-links")

    @Test("README.md and docs/: every relative link and anchor resolves")
    func repositoryLinks() throws {
        let result = try CommandRunner.run(Self.script, ["--root", Self.root.path])
        #expect(result.status == 0, "\(result)")
    }

    @Test("A link to a missing file, a missing anchor and a private note's name are each reported (exit 1)")
    func brokenLinksCaught() throws {
        let directory = try TemporaryDirectory(prefix: "doc-links")
        try FileManager.default.createDirectory(atPath: directory.path("docs"), withIntermediateDirectories: true)
        try "# Title\n\nSee [the guide](docs/missing.md), [a section](#nowhere) and DESIGN.md.\n"
            .write(toFile: directory.path("README.md"), atomically: true, encoding: .utf8)
        let result = try CommandRunner.run(Self.script, ["--root", directory.url.path, directory.path("README.md")])
        #expect(result.status == 1, "\(result)")
        let output = result.stdout + result.stderr
        #expect(output.contains("docs/missing.md"), "\(result)")
        #expect(output.contains("nowhere"), "\(result)")
        #expect(output.contains("DESIGN.md"), "\(result)")
    }
}
