import ArgumentParser
import HSMSyncCore
import HSMSyncModel
import SignedLog

/// `--fleet FILE`, shared by every command that works on a fleet.
struct FleetOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The fleet file (YAML).", valueName: "file"))
    var fleet: String

    /// Loads and validates the fleet file; no HSM is touched and no module loaded.
    func load() throws -> Fleet {
        try Fleet.load(from: fleet)
    }
}

/// `--json`, shared by every command with a machine-readable report.
struct OutputOptions: ParsableArguments {
    @Flag(name: .long, help: "Print one JSON document on stdout and nothing else there.")
    var json = false
}
