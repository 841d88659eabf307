import Logging
import NIOCore
import PostgresNIO
import SQLKit

/// A PostgreSQL connection whose every statement has a deadline: past it, the connection is
/// closed, which fails the statement, and the store connects afresh on its next call.
///
/// A server that stops answering without closing the connection (paused, a network stall with no
/// reset, a firewall dropping packets) would otherwise hold a statement until TCP gives up, many
/// minutes later, and with it `/readyz`, the lease and every request. postgres-nio's queries cannot
/// be cancelled, and a server-side `statement_timeout` never reaches a client the server cannot
/// talk to; closing the channel is what ends the wait. A transaction the close cut short is rolled
/// back by the server.
struct DeadlineDatabase: SQLDatabase {
    let base: any SQLDatabase
    let connection: PostgresConnection
    let deadline: TimeAmount

    var logger: Logger { base.logger }
    var eventLoop: any EventLoop { base.eventLoop }
    var version: (any SQLDatabaseReportedVersion)? { base.version }
    var dialect: any SQLDialect { base.dialect }
    var queryLogLevel: Logger.Level? { base.queryLogLevel }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> Void)
        -> EventLoopFuture<Void>
    {
        let connection = connection
        let timer = base.eventLoop.scheduleTask(in: deadline) {
            connection.close().whenComplete { _ in }
        }
        let done = base.execute(sql: query, onRow)
        done.whenComplete { _ in timer.cancel() }
        return done
    }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> Void) async throws {
        try await execute(sql: query, onRow).get()
    }
}
