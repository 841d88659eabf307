import ArgumentParser
import Foundation
import HSMSyncCore
import HSMSyncModel
import SignedLog

/// `--actor ID`: who writes an entry (default `$USER@<host name>`).
struct LogActorOption: ParsableArguments {
    @Option(name: .long, help: "Who records the entry (default: $USER@host).")
    var actor: String?

    @Option(name: .long, help: "The actor's role in the ceremony.")
    var role: String = "operator"

    var auditActor: AuditActor {
        let user = ProcessInfo.processInfo.environment["USER"] ?? NSUserName()
        return AuditActor(id: actor ?? "\(user)@\(ProcessInfo.processInfo.hostName)", role: role, auth: "local")
    }
}

/// The version recorded in `log.open`.
let logToolVersion = "hsmsync \(HSMSyncVersion.current)"

/// Prints a JSON document on stdout, as every `--json` does (indented, keys sorted).
func printJSON(_ value: JSONValue) {
    // A JSONValue holds only strings, integers, booleans, null, arrays and objects: it always encodes.
    try? JSONOutput.print(JSONDocument(value))
}

/// Reads a vkey file given on the command line.
func readVerifierKey(_ path: String) throws -> VerifierKey {
    try LogVerifier.readVerifierKey(at: path)
}
