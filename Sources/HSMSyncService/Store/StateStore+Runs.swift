public import Foundation
import SQLKit

extension StateStore {
    /// Records a new run (queued).
    public func insert(_ run: RunRecord) async throws {
        try await exclusively {
            try await database.raw(
                """
                INSERT INTO runs (id, kind, state, instance, requested_by, queued_at) VALUES (\
                \(bind: run.id), \(bind: run.kind.rawValue), \(bind: run.state.rawValue), \(bind: run.instance), \
                \(bind: run.requestedBy), \(bind: run.queuedAt.timeIntervalSince1970))
                """
            ).run()
        }
    }

    /// Writes a run's progress: state, times, status, report, error.
    public func update(_ run: RunRecord) async throws {
        try await exclusively {
            let report = run.report.map { String(decoding: $0, as: UTF8.self) }
            try await database.raw(
                """
                UPDATE runs SET state = \(bind: run.state.rawValue), \
                started_at = \(bind: run.startedAt?.timeIntervalSince1970), \
                finished_at = \(bind: run.finishedAt?.timeIntervalSince1970), status = \(bind: run.status), \
                item_count = \(bind: run.count), report = \(bind: report), error = \(bind: run.error) \
                WHERE id = \(bind: run.id)
                """
            ).run()
        }
    }

    /// One run, with its report.
    public func run(id: String) async throws -> RunRecord? {
        try await readConnection().raw("SELECT * FROM runs WHERE id = \(bind: id)").first().map(Self.decodeRun)
    }

    /// Runs newest first, optionally of one kind, older than the run `before`.
    public func runs(kind: RunKind?, limit: Int, before: String? = nil, withReports: Bool = false) async throws
        -> [RunRecord]
    {
        var query = SQLQueryString(
            withReports
                ? "SELECT * FROM runs WHERE 1 = 1"
                : "SELECT id, kind, state, instance, requested_by, queued_at, started_at, finished_at, status, "
                    + "item_count, error FROM runs WHERE 1 = 1")
        if let kind {
            query.appendInterpolation(unsafeRaw: " AND kind = ")
            query.appendInterpolation(bind: kind.rawValue)
        }
        if let before {
            query.appendInterpolation(unsafeRaw: " AND queued_at < (SELECT queued_at FROM runs WHERE id = ")
            query.appendInterpolation(bind: before)
            query.appendInterpolation(unsafeRaw: ")")
        }
        query.appendInterpolation(unsafeRaw: " ORDER BY queued_at DESC, id DESC LIMIT ")
        query.appendInterpolation(bind: max(1, min(limit, 500)))
        return try await readConnection().raw(query).all().map(Self.decodeRun)
    }

    /// The newest finished run of `kind` that produced a report (the current audit).
    public func latestFinished(_ kind: RunKind) async throws -> RunRecord? {
        try await readConnection().raw(
            """
            SELECT * FROM runs WHERE kind = \(bind: kind.rawValue) AND report IS NOT NULL \
            ORDER BY queued_at DESC LIMIT 1
            """
        ).first().map(Self.decodeRun)
    }

    /// When a run of `kind` was last queued by anyone (the scheduler's "did I miss one").
    public func lastQueued(_ kind: RunKind) async throws -> Date? {
        let row = try await readConnection().raw(
            "SELECT MAX(queued_at) AS latest FROM runs WHERE kind = \(bind: kind.rawValue)"
        ).first()
        return try row?.decodeNil(column: "latest") == false
            ? Date(timeIntervalSince1970: try row!.decode(column: "latest", as: Double.self)) : nil
    }

    /// Runs left `queued` or `running` by a process that stopped: they failed, and say why.
    public func failAbandonedRuns(instance: String, at date: Date) async throws {
        try await exclusively {
            try await database.raw(
                """
                UPDATE runs SET state = 'failed', finished_at = \(bind: date.timeIntervalSince1970), \
                error = 'the service stopped before the run finished' \
                WHERE instance = \(bind: instance) AND state IN ('queued', 'running')
                """
            ).run()
        }
    }

    /// Marks runs other instances left queued or running as failed: a new leader's first act.
    public func failRunsOfOtherInstances(than instance: String, at date: Date, epoch: Int) async throws {
        try await exclusively {
            try await database.raw(
                """
                UPDATE runs SET state = 'failed', finished_at = \(bind: date.timeIntervalSince1970), \
                error = \(bind: "its instance stopped leading before the run finished (\(instance) leads from epoch \(epoch))") \
                WHERE instance <> \(bind: instance) AND state IN ('queued', 'running')
                """
            ).run()
        }
    }

    static func decodeRun(_ row: any SQLRow) throws -> RunRecord {
        func time(_ column: String) throws -> Date? {
            try row.decode(column: column, as: Double?.self).map(Date.init(timeIntervalSince1970:))
        }
        var run = RunRecord(
            id: try row.decode(column: "id", as: String.self),
            kind: RunKind(rawValue: try row.decode(column: "kind", as: String.self)) ?? .audit,
            instance: try row.decode(column: "instance", as: String.self),
            requestedBy: try row.decode(column: "requested_by", as: String.self),
            queuedAt: try time("queued_at") ?? Date(timeIntervalSince1970: 0))
        run.state = RunState(rawValue: try row.decode(column: "state", as: String.self)) ?? .failed
        run.startedAt = try time("started_at")
        run.finishedAt = try time("finished_at")
        run.status = try row.decode(column: "status", as: String?.self)
        run.count = try row.decode(column: "item_count", as: Int?.self)
        run.error = try row.decode(column: "error", as: String?.self)
        if row.contains(column: "report") {
            run.report = try row.decode(column: "report", as: String?.self).map { Array($0.utf8) }
        }
        return run
    }
}
