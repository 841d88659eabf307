import ArgumentParser
import Glibc
import HSMSyncCore
import HSMSyncModel
import PKCS11Endpoint
import SignedLog

@main
struct HSMSync: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hsmsync",
        abstract: "Synchronise and audit key material across PKCS#11 HSMs.",
        discussion: """
            Exit codes, for every command: 0 success (audit: parity), 1 drift or integrity failure, \
            2 invalid input or usage, 3 HSM or runtime failure.

            Example: hsmsync audit --fleet fleet.yaml (Scripts/demo builds a demo fleet to try every command on)
            """,
        version: HSMSyncVersion.current,
        subcommands: [
            FleetCommand.self,
            TokensCommand.self,
            InventoryCommand.self,
            AuditCommand.self,
            ReconcileCommand.self,
            TransportCommand.self,
            LogCommand.self,
            CeremonyCommand.self,
            BackupCommand.self,
            ServeCommand.self,
        ]
    )

    /// Parses, runs, and maps every outcome to DESIGN.md's exit codes: ArgumentParser's usage
    /// errors (its own code 64) become 2; a command's errors are mapped by ``ExitStatus``.
    static func main() async {
        CrashSignals.install()
        EndpointProcess.harden()
        Environment.bootstrapLogging()
        if let message = CommandSuggestion.unknownCommand(in: Array(CommandLine.arguments.dropFirst())) {
            Console.error(message)
            Glibc.exit(ExitStatus.invalidInput.rawValue)
        }
        var command: any ParsableCommand
        do {
            command = try parseAsRoot()
        } catch {
            let message = fullMessage(for: error)
            if exitCode(for: error) == .success {
                if !message.isEmpty { Console.out(message) }
                Glibc.exit(ExitStatus.success.rawValue)
            }
            if !message.isEmpty { Console.error(message) }
            Glibc.exit(ExitStatus.invalidInput.rawValue)
        }
        do {
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let exitCode as ExitCode {
            Glibc.exit(exitCode.rawValue)
        } catch  where exitCode(for: error) == .success {
            Console.out(fullMessage(for: error))  // help requested for a command group
            Glibc.exit(ExitStatus.success.rawValue)
        } catch {
            Console.error("hsmsync: \(error)")
            Glibc.exit(ExitStatus(for: error).rawValue)
        }
        Glibc.exit(ExitStatus.success.rawValue)
    }
}
