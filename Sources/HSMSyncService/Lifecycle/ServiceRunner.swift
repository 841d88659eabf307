import Foundation
import HSMSyncCore
public import HSMSyncModel
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
public import Logging
import NIOCore
import NIOSSL
import ServiceLifecycle

/// `hsmsync serve`: assembles the store, the coordinator, the schedule, the watch loop and the
/// HTTP server, and runs them until SIGTERM or SIGINT.
public struct ServiceRunner: Sendable {
    public let fleet: Fleet
    public let connector: any HSMConnector
    public let logger: Logger
    /// How long shutdown waits for the HSM operation in flight before abandoning it.
    public let shutdownDeadline: Duration
    /// Reads the fleet file again (SIGHUP); throws on a broken one.
    public let reloadFleet: @Sendable () throws -> Fleet

    public init(
        fleet: Fleet, connector: any HSMConnector, logger: Logger, shutdownDeadline: Duration = .seconds(6),
        reloadFleet: @escaping @Sendable () throws -> Fleet
    ) {
        self.fleet = fleet
        self.connector = connector
        self.logger = logger
        self.shutdownDeadline = shutdownDeadline
        self.reloadFleet = reloadFleet
    }

    public func run() async throws {
        guard let settings = fleet.service else { throw ServiceConfigurationError.noServiceSection(fleet.path) }
        let store = try await StateStore.open(
            settings.database, password: settings.databasePassword, client: "hsmsync serve \(settings.instance)",
            logger: logger)
        let tokens = try APITokenFile.load(from: settings.tokensPath)
        if tokens.entries.isEmpty {
            logger.warning(
                "the token file holds no token: only /healthz, /readyz, /log and the page answer; add one with hsmsync serve token add",
                metadata: ["tokens": "\(settings.tokensPath)"])
        }
        let metrics = ServiceMetrics(fleet: fleet.name, instance: settings.instance)
        let alerts = AlertDispatcher(
            targets: settings.alerts.compactMap {
                if case .webhook(let url) = $0 { return URL(string: url) }
                return nil
            }, store: store, instance: settings.instance, logger: logger)
        let leadership = Leadership(instance: settings.instance)
        let coordinator = ServiceCoordinator(
            fleet: fleet, instance: settings.instance, store: store, connector: connector, logger: logger,
            alerts: alerts, metrics: metrics, leadership: leadership)
        try await coordinator.restore()
        let environment = ServiceEnvironment(
            coordinator: coordinator, store: store, metrics: metrics, tokens: tokens, fleet: fleet, logger: logger)

        let election = LeaderElection(
            store: store, leadership: leadership, seconds: settings.leaseSeconds, metrics: metrics, logger: logger,
            elected: { await coordinator.elected(epoch: $0) })
        // Claimed once before listening: a lone instance answers its first request as the leader.
        await election.claim()

        let server: HTTPServerBuilder =
            try settings.tls.map { try .tls(.http1(), tlsConfiguration: try Self.tls($0)) } ?? .http1()
        let reload = reloader(coordinator: coordinator, environment: environment, running: settings)
        let listen = settings.listen
        let application = Application(
            router: ServiceRouter.make(environment: environment), server: server,
            configuration: .init(
                address: .hostname(listen.host, port: listen.port), serverName: "hsmsync", backlog: 1024),
            services: [
                // First, so that it stops last: the drain below finishes under a lease still renewed.
                election,
                CoordinatorDrain(coordinator: coordinator, deadline: shutdownDeadline, logger: logger),
                AuditScheduler(coordinator: coordinator, store: store, logger: logger),
                WatchLoop(coordinator: coordinator),
                ReloadOnHangup(reload: reload),
            ],
            onServerRunning: { [logger] channel in
                logger.info(
                    "listening",
                    metadata: [
                        "address":
                            "\(settings.tls == nil ? "http" : "https")://\(listen.host):\(channel.localAddress?.port ?? listen.port)",
                        "instance": "\(settings.instance)", "fleet": "\(fleet.name)",
                    ])
            }, logger: logger)
        // Closed once every service has ended: the last, the election, still writes (it lets the lease go).
        do {
            try await application.runService()
        } catch {
            await store.close()
            throw error
        }
        await store.close()
        logger.info("stopped")
    }

    private func reloader(coordinator: ServiceCoordinator, environment: ServiceEnvironment, running: ServiceSettings)
        -> @Sendable () async -> Void
    {
        { [reloadFleet, logger] in
            do {
                let fleet = try reloadFleet()
                guard let settings = fleet.service else { throw ServiceConfigurationError.noServiceSection(fleet.path) }
                let tokens = try APITokenFile.load(from: settings.tokensPath)
                if settings.listen != running.listen || settings.database != running.database
                    || settings.tls != running.tls
                {
                    logger.warning("listen, tls and database changes take effect at the next start")
                }
                await coordinator.replace(fleet)
                environment.reload(fleet: fleet, tokens: tokens)
            } catch {
                logger.error(
                    "SIGHUP: the fleet file was refused; the service keeps the configuration it had",
                    metadata: ["error": "\(error)"])
            }
        }
    }

    static func tls(_ settings: TLSSettings) throws -> TLSConfiguration {
        let chain = try NIOSSLCertificate.fromPEMFile(settings.certificatePath).map {
            NIOSSLCertificateSource.certificate($0)
        }
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain, privateKey: .privateKey(try NIOSSLPrivateKey(file: settings.keyPath, format: .pem))
        )
        configuration.minimumTLSVersion = .tlsv12
        if let clientCA = settings.clientCAPath {
            configuration.certificateVerification = .noHostnameVerification
            configuration.trustRoots = .file(clientCA)
        }
        return configuration
    }
}

/// A fleet file `serve` cannot run with.
public enum ServiceConfigurationError: Error, CategorizedError {
    case noServiceSection(String)
    case notAvailable(String)

    public var category: FailureCategory { .invalidInput }

    public var description: String {
        switch self {
        case .noServiceSection(let path):
            "\(path): no service: section; hsmsync serve needs one (docs/runbooks/service.md)"
        case .notAvailable(let reason): reason
        }
    }
}
