import Foundation
import HSMSyncCore
public import HSMSyncModel
public import Logging

/// What `serve` checks before it starts (and all `serve --check` does): everything that can be
/// checked without touching an HSM or binding a port.
public enum ServiceCheck {
    /// - Returns: one line per check that passed.
    /// - Throws: ``ServiceConfigurationError``, ``YAMLError`` or ``StateStoreError`` (exit 2), or
    ///   a TLS file that cannot be read.
    public static func run(_ fleet: Fleet, logger: Logger) async throws -> [String] {
        guard let settings = fleet.service else { throw ServiceConfigurationError.noServiceSection(fleet.path) }
        var passed: [String] = ["service section: instance \(settings.instance), listen \(settings.listen)"]
        if settings.schedule.drill != nil {
            throw ServiceConfigurationError.notAvailable(
                "\(fleet.path): service.schedule.drill: scheduled restore drills are not available in this version; "
                    + "run `hsmsync backup drill` from a timer instead")
        }
        for hsm in fleet.hsms where hsm.pin == .prompt {
            throw ServiceConfigurationError.notAvailable(
                "\(fleet.path): hsms \(hsm.name): pin: prompt cannot be answered by a service; use env:NAME or file:PATH"
            )
        }
        if let tls = settings.tls {
            do {
                _ = try ServiceRunner.tls(tls)
            } catch {
                throw ServiceConfigurationError.notAvailable(
                    "\(fleet.path): service.tls: cannot use the certificate or key: \(error)")
            }
            passed.append(
                "TLS: certificate and key load" + (tls.clientCAPath == nil ? "" : "; client certificates required"))
        } else {
            passed.append("plain HTTP on loopback \(settings.listen.host)")
        }
        let tokens = try APITokenFile.load(from: settings.tokensPath)
        passed.append("token file: \(tokens.entries.count) token(s) (\(settings.tokensPath))")
        switch settings.database {
        case .sqlite(let path) where FileManager.default.fileExists(atPath: path):
            let store = try await StateStore.open(settings.database, logger: logger)
            await store.close()
            passed.append("state database: \(path), schema readable")
        case .postgres:
            // Connects, authenticates and reads (or creates) the schema.
            let store = try await StateStore.open(
                settings.database, password: settings.databasePassword,
                client: "hsmsync serve \(settings.instance) (check)",
                logger: logger)
            await store.close()
            passed.append("state database: \(settings.database), connected, schema readable")
        case .sqlite:
            passed.append("state database: \(settings.database) (created at start)")
        }
        passed.append(
            "schedule: audit \(settings.schedule.audit?.description ?? "none"); sync \(settings.sync.mode.rawValue) every \(Int(settings.sync.interval)) s; \(settings.alerts.count) webhook(s)"
        )
        return passed
    }
}
