import Foundation
import HSMSyncModel
import HSMSyncService

/// Hand work that changes HSMs (`reconcile --apply`, `backup restore --apply`, `ceremony run`) on a
/// fleet whose `service:` keeps its state in PostgreSQL takes the fleet lock there too, so that it
/// never interleaves with the service's runs, on this host or another. Without such a section (or
/// with SQLite) the fleet lock file in `state.dir` is the only lock, as before.
enum DatabaseFleetLock {
    struct Held: CategorizedError {
        let description: String
        var category: FailureCategory { .runtime }
    }

    /// Runs `body` holding the lock; refuses (exit 3) naming the holder when another has it.
    /// - Parameter when: `false` runs `body` without the lock (a plan changes nothing).
    static func holding<T>(
        _ fleet: Fleet, command: String, when needed: Bool = true, _ body: () async throws -> T
    ) async throws -> T {
        guard needed, let settings = fleet.service, case .postgres = settings.database else { return try await body() }
        let host = ProcessInfo.processInfo.hostName
        let store = try await StateStore.open(
            settings.database, password: settings.databasePassword,
            client: "hsmsync \(command) (pid \(getpid()) on \(host))", logger: Environment.shared.logger)
        if let holder = try await store.takeFleetLock() {
            await store.close()
            throw Held(
                description: "the fleet is locked in the state database \(settings.database) by \(holder), which is "
                    + "changing its HSMs; nothing was done: try again when its run has ended")
        }
        do {
            let result = try await body()
            await store.releaseFleetLock()
            await store.close()
            return result
        } catch {
            await store.releaseFleetLock()
            await store.close()
            throw error
        }
    }
}
