/// The service database's schema, as numbered migrations run in order at start.
///
/// Every statement is plain SQL that SQLite and PostgreSQL both accept (times are Unix seconds as
/// `DOUBLE PRECISION`, reports `TEXT`), so that the two backends share one query layer. A migration
/// is never edited once released: a change is a new one at the end.
enum StateSchema {
    /// One step from version `index` to `index + 1`.
    static let migrations: [[String]] = [
        [
            """
            CREATE TABLE runs (
                id TEXT PRIMARY KEY, kind TEXT NOT NULL, state TEXT NOT NULL, instance TEXT NOT NULL,
                requested_by TEXT NOT NULL, queued_at DOUBLE PRECISION NOT NULL, started_at DOUBLE PRECISION,
                finished_at DOUBLE PRECISION, status TEXT, item_count BIGINT, report TEXT, error TEXT)
            """,
            "CREATE INDEX runs_by_kind ON runs (kind, queued_at)",
            """
            CREATE TABLE key_holdings (
                key_id TEXT NOT NULL, hsm TEXT NOT NULL, state TEXT NOT NULL, fingerprint TEXT,
                first_seen_at DOUBLE PRECISION NOT NULL, last_seen_at DOUBLE PRECISION NOT NULL,
                PRIMARY KEY (key_id, hsm))
            """,
            """
            CREATE TABLE keys (
                key_id TEXT PRIMARY KEY, object_class TEXT NOT NULL, label TEXT NOT NULL, ckaid TEXT NOT NULL,
                fingerprint TEXT, first_seen_at DOUBLE PRECISION NOT NULL,
                present_everywhere_at DOUBLE PRECISION, last_seen_at DOUBLE PRECISION NOT NULL)
            """,
            """
            CREATE TABLE alert_deliveries (
                id TEXT PRIMARY KEY, target TEXT NOT NULL, event TEXT NOT NULL, body TEXT NOT NULL,
                state TEXT NOT NULL, attempts BIGINT NOT NULL, last_error TEXT,
                created_at DOUBLE PRECISION NOT NULL, delivered_at DOUBLE PRECISION)
            """,
            """
            CREATE TABLE leader_lease (
                name TEXT PRIMARY KEY, holder TEXT NOT NULL, epoch BIGINT NOT NULL,
                expires_at DOUBLE PRECISION NOT NULL)
            """,
        ]
    ]

    /// The version this build writes and reads.
    static var currentVersion: Int { migrations.count }
}
