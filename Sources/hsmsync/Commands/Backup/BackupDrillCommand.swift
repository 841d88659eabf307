import ArgumentParser
import HSMSyncCore

/// `hsmsync backup drill --fleet F FILE`.
struct BackupDrillCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "drill", abstract: "Prove a bundle restorable.")
    func run() async throws {}
}
