import ArgumentParser
import Glibc
import HSMSyncCore
import HSMSyncModel
import SLIP39
import SecureMemory
import SignedLog

/// `hsmsync transport install --fleet F --hsm NAME [--share FILE...] [--kcv HEX]`.
struct TransportInstallCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "install",
        abstract: "Load the transport key into an HSM from M custodian shares.",
        discussion: """
            Shares come from files (--share, one per custodian) or, without --share, are typed at a hidden \
            prompt one at a time. Each share is checked as it is entered (word list, checksum, set, threshold, \
            repeats) and a bad one is named; more than M shares are cross-checked so a tampered one is named. \
            With --kcv the rebuilt key's check value must equal the ceremony record before anything is \
            imported. The key is imported as `transport create` does, read back and its check value compared. \
            Nothing is imported on any error, and nothing happens when the HSM already holds an object with the \
            transport label.

            Example: hsmsync transport install --fleet fleet.yaml --hsm dr-1 --share s1.txt s4.txt s5.txt --kcv B6A4706535
            """
    )

    @OptionGroup var fleetOptions: FleetOptions
    @OptionGroup var output: OutputOptions

    @Option(name: .long, help: ArgumentHelp("The HSM to load the key into (its name or token URI).", valueName: "name"))
    var hsm: String

    @Option(
        name: .customLong("share"), parsing: .upToNextOption,
        help: ArgumentHelp("A custodian's share file (repeat, or list several).", valueName: "file"))
    var shareFiles: [String] = []

    @Option(
        name: .long,
        help: ArgumentHelp(
            "The key check value from the ceremony record (10 hex digits, or its 4 words).", valueName: "hex"))
    var kcv: String?

    func validate() throws {
        if let kcv {
            _ = try Self.parseKCV(kcv)
        }
    }

    static func parseKCV(_ text: String) throws(KeyCheckValueError) -> KeyCheckValue {
        text.contains { $0.isLetter && !$0.isHexDigit } ? try KeyCheckValue(words: text) : try KeyCheckValue(hex: text)
    }

    func run() async throws {
        let fleet = try fleetOptions.load()
        let hsm = try fleet.hsmName(for: self.hsm)
        let expected = try kcv.map { try Self.parseKCV($0) }
        for path in shareFiles where access(path, R_OK) != 0 {
            throw TransportError.shareFileUnreadable(path: path, reason: "no such file, or not readable")
        }
        let environment = Environment.shared
        let trail = try await environment.trail(for: fleet)
        let worker: any HSMEndpoint
        do { worker = try await environment.worker(named: hsm, in: fleet) } catch {
            await trail.fail(.transportInstall, hsms: [hsm], error: error)
            throw error
        }
        let installer = TransportKeyInstaller(label: fleet.transport.label)
        do {
            try await installer.preflight(on: worker)
            let recovery = shareFiles.isEmpty ? try Self.promptForShares() : try Self.readShares(shareFiles)
            let material = try TransportKeyMaterial.recover(from: recovery, expectedKCV: expected)
            let result = try await installer.install(material, on: worker)
            await worker.close()
            try await trail.recordOutcome(.transportInstall, result)
            try await trail.close()
            if output.json { try JSONOutput.print(result) } else { TransportRenderer.renderInstalled(result) }
        } catch {
            await worker.close()
            await trail.fail(.transportInstall, hsms: [hsm], error: error)
            throw error
        }
    }

    /// Reads and checks each share file in turn; the first bad one stops everything.
    static func readShares(_ paths: [String]) throws -> ShareRecovery {
        try ShareFileReader.recovery(from: paths) { note in
            switch note {
            case .permissions(let warning): Console.error("warning: \(warning)")
            case .accepted(let path, let entry, let metadata):
                Console.error("\(path): accepted \(metadata) (entry \(entry))")
            case .refused(let path, let reason):
                Console.error("\(path): REFUSED, left out: \(reason)")
            }
        }
    }

    /// Asks for shares at a hidden prompt until enough were accepted; a refused share is named and
    /// may be entered again (three refusals in a row end the ceremony).
    static func promptForShares() throws -> ShareRecovery {
        var recovery = ShareRecovery()
        var refusals = 0
        while !recovery.progress.isComplete {
            let number = recovery.nextShareNumber
            let status = number == 1 ? "" : " (\(recovery.progress))"
            let text: SecretBytes
            do {
                text = try SecretPrompt.read(
                    prompt: "Entry \(number)\(status): type a share's words, then Enter (nothing is shown): ",
                    maximumLength: 4096)
            } catch {
                throw TransportError.shareRefused(source: "the prompt", reason: error.description)
            }
            do {
                let metadata = try recovery.add(text)
                refusals = 0
                Console.error("entry \(number): accepted \(metadata)")
            } catch {
                refusals += 1
                guard refusals < 3 else {
                    throw TransportError.shareRefused(source: "the prompt", reason: error.description)
                }
                Console.error("entry \(number) refused: \(error.description); enter it again")
            }
        }
        return recovery
    }
}
