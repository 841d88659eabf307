import HSMSyncModel
import Logging
import NIOCore
import NIOSSL
import PostgresKit
import SQLKit
import SecureMemory

extension StoreBackend {
    /// The longest one statement may wait for PostgreSQL before its connection is closed
    /// (``DeadlineDatabase``); connecting has a deadline of its own, 10 s.
    static let statementDeadline = TimeAmount.seconds(15)

    /// Two connections to a PostgreSQL server, authenticated with the password from
    /// `service.databasePassword`, over TLS when the URL's `sslmode` asks for it.
    ///
    /// postgres-nio takes the password as a `String`, so it lives outside the wiped buffers for as
    /// long as the connections do; it is never logged (statements are not logged at all) and never
    /// part of an error: ``StateStoreError/describe(_:)`` keeps only the server's message.
    static func postgres(
        _ location: DatabaseLocation, password: PINSource?, client: String, logger: Logger
    ) async throws -> StoreBackend {
        guard case .postgres(let host, let port, let user, let database, let tls) = location else {
            preconditionFailure("StoreBackend.postgres called for \(location)")
        }
        let secret: String?
        do {
            secret = try password.map { source throws(PINSourceError) in
                let pin = try source.read(hsm: "the state database (service.databasePassword)")
                return pin.bytes.withUnsafeBytes { String(decoding: $0, as: UTF8.self) }
            }
        } catch {
            throw StateStoreError.cannotOpen(location.description, reason: "\(error)")
        }
        var configuration = PostgresConnection.Configuration(
            host: host, port: port, username: user, password: secret, database: database,
            tls: try Self.tls(tls, location: location))
        configuration.options.connectTimeout = .seconds(10)
        // pg_stat_activity names the client: an operator (and a refused lock) sees who is connected.
        configuration.options.additionalStartupParameters = [("application_name", client)]
        return try await connected(configuration, location: location, logger: logger)
    }

    /// The writer and the reader on `configuration`; its ``reopen`` connects the same way again.
    private static func connected(
        _ configuration: PostgresConnection.Configuration, location: DatabaseLocation, logger: Logger
    ) async throws -> StoreBackend {
        func connect(_ id: Int) async throws -> PostgresConnection {
            do {
                return try await PostgresConnection.connect(configuration: configuration, id: id, logger: logger)
            } catch {
                throw StateStoreError.cannotOpen(location.description, reason: StateStoreError.describe(error))
            }
        }
        let writer = try await connect(1)
        let reader: PostgresConnection
        do {
            reader = try await connect(2)
        } catch {
            try? await writer.close()
            throw error
        }
        return StoreBackend(
            kind: .postgres,
            writer: DeadlineDatabase(
                base: writer.sql(queryLogLevel: nil), connection: writer, deadline: statementDeadline),
            reader: DeadlineDatabase(
                base: reader.sql(queryLogLevel: nil), connection: reader, deadline: statementDeadline),
            close: {
                try? await reader.close()
                try? await writer.close()
            }, isOpen: { !writer.isClosed && !reader.isClosed },
            reopen: { try await connected(configuration, location: location, logger: logger) })
    }

    private static func tls(_ mode: DatabaseTLS, location: DatabaseLocation) throws
        -> PostgresConnection.Configuration.TLS
    {
        var configuration = TLSConfiguration.makeClientConfiguration()
        switch mode {
        case .disable:
            return .disable
        case .require:
            // libpq's `require`: encrypted, the server not authenticated.
            configuration.certificateVerification = .none
        case .verifyFull(let root):
            configuration.certificateVerification = .fullVerification
            if let root {
                do {
                    configuration.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(root))
                } catch {
                    throw StateStoreError.cannotOpen(
                        location.description, reason: "sslrootcert \(root) cannot be read as PEM certificates: \(error)"
                    )
                }
            }
        }
        do {
            return .require(try NIOSSLContext(configuration: configuration))
        } catch {
            throw StateStoreError.cannotOpen(location.description, reason: "TLS cannot be set up: \(error)")
        }
    }
}

extension StateStoreError {
    /// What went wrong with a PostgreSQL call, in words that hold no secret: the server's message
    /// and SQLSTATE, or the transport error (postgres-nio's own description is deliberately bare).
    static func describe(_ error: any Error) -> String {
        guard let error = error as? PSQLError else { return "\(error)" }
        if let info = error.serverInfo, let message = info[.message] {
            return message + (info[.sqlState].map { " (SQLSTATE \($0))" } ?? "")
        }
        if let underlying = error.underlying { return "\(error.code): \(underlying)" }
        return "\(error.code)"
    }
}
