import GRDB

extension StateStore {
    /// The schema's migrations, applied in order at open; each runs once per database.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(
                sql: """
                    CREATE TABLE requests (
                        id TEXT PRIMARY KEY,
                        content_hash TEXT NOT NULL,
                        kind TEXT NOT NULL,
                        spool_file TEXT NOT NULL,
                        status TEXT NOT NULL,
                        outcome TEXT,
                        reason TEXT,
                        message TEXT,
                        info TEXT,
                        attempts INTEGER NOT NULL DEFAULT 1,
                        received_at REAL NOT NULL,
                        finished_at REAL
                    );
                    CREATE INDEX requests_active ON requests(status) WHERE status = 'active';
                    CREATE TABLE lines (
                        request_id TEXT NOT NULL REFERENCES requests(id) ON DELETE CASCADE,
                        line INTEGER NOT NULL,
                        store TEXT NOT NULL,
                        sku TEXT NOT NULL,
                        kind TEXT NOT NULL,
                        state TEXT NOT NULL,
                        reason TEXT,
                        error_code TEXT,
                        error TEXT,
                        inventory_item TEXT,
                        location TEXT,
                        shopify_reason TEXT,
                        delta INTEGER,
                        quantity INTEGER,
                        before INTEGER,
                        after INTEGER,
                        generation INTEGER NOT NULL DEFAULT 0,
                        rereads INTEGER NOT NULL DEFAULT 0,
                        intent_id INTEGER,
                        first_attempt_at REAL,
                        PRIMARY KEY (request_id, line, store)
                    );
                    CREATE INDEX lines_open ON lines(store, kind, state) WHERE state IN ('pending', 'lookup');
                    CREATE INDEX lines_intent ON lines(intent_id) WHERE intent_id IS NOT NULL;
                    CREATE TABLE intents (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        store TEXT NOT NULL,
                        kind TEXT NOT NULL,
                        idempotency_key TEXT NOT NULL UNIQUE,
                        payload BLOB NOT NULL,
                        created_at REAL NOT NULL,
                        attempts INTEGER NOT NULL DEFAULT 0,
                        last_error TEXT
                    );
                    CREATE TABLE sku_cache (
                        store TEXT NOT NULL,
                        sku TEXT NOT NULL,
                        inventory_item TEXT,
                        status TEXT NOT NULL,
                        checked_at REAL NOT NULL,
                        logged_at REAL,
                        PRIMARY KEY (store, sku)
                    );
                    CREATE TABLE file_events (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        name TEXT NOT NULL,
                        folder TEXT NOT NULL,
                        outcome TEXT NOT NULL,
                        reason TEXT,
                        message TEXT,
                        at REAL NOT NULL
                    );
                    CREATE TABLE store_state (
                        store TEXT PRIMARY KEY,
                        state TEXT NOT NULL,
                        reason TEXT,
                        last_success REAL,
                        last_error TEXT,
                        updated_at REAL NOT NULL
                    );
                    """
            )
        }
        migrator.registerMigration("v2-snapshot-rule") { db in
            // `at`: the instant a line's information refers to (a movement's occurred_at or recording time, a
            // snapshot's as_of); `pair_quantity`: a snapshot's sum over the WMS locations on one Shopify location.
            try db.execute(
                sql: """
                    ALTER TABLE lines ADD COLUMN at REAL;
                    ALTER TABLE lines ADD COLUMN pair_quantity INTEGER;
                    UPDATE lines SET at = (SELECT received_at FROM requests WHERE requests.id = lines.request_id);
                    CREATE INDEX lines_pair ON lines(store, inventory_item, location, kind);
                    """
            )
        }
        migrator.registerMigration("v3-unknown-outcomes") { db in
            // `held`: a call whose outcome is unknown, kept with its key for requeue, not resent on its own.
            // `format`: how `payload` is encoded (1: the request as sorted-key JSON); an unknown one fails loudly.
            // `resend_unknown`: `requeue --resend-unknown` allows resending past the idempotency window.
            try db.execute(
                sql: """
                    ALTER TABLE intents ADD COLUMN held INTEGER NOT NULL DEFAULT 0;
                    ALTER TABLE intents ADD COLUMN format INTEGER NOT NULL DEFAULT 1;
                    ALTER TABLE requests ADD COLUMN resend_unknown INTEGER NOT NULL DEFAULT 0;
                    """
            )
        }
        migrator.registerMigration("v4-request-bodies") { db in
            // `body`: the exact request body of the first send (format 2), resent byte for byte.
            try db.execute(sql: "ALTER TABLE intents ADD COLUMN body BLOB")
        }
        migrator.registerMigration("v5-may-have-sent") { db in
            // Whether any attempt of the call may have reached Shopify; calls already written are assumed to.
            try db.execute(sql: "ALTER TABLE intents ADD COLUMN may_have_sent INTEGER NOT NULL DEFAULT 1")
        }
        migrator.registerMigration("v6-unsynced-reports") { db in
            // Whether the request's report was written without an fsync of its own and the filesystem has not
            // been synced since: at recovery such a report is checked and rewritten from the ledger.
            try db.execute(
                sql: """
                    ALTER TABLE requests ADD COLUMN report_unsynced INTEGER NOT NULL DEFAULT 0;
                    CREATE INDEX requests_report_unsynced ON requests(report_unsynced) WHERE report_unsynced = 1;
                    """
            )
        }
        migrator.registerMigration("v7-waiting-lines") { db in
            // The open lines a worker reads before every call, found without touching the finished ones: the
            // partial index lines_open cannot serve `state = ?` (SQLite does not see that it implies the index's
            // `state IN (...)`), so the planner scanned every line of the store through lines_pair, a cost that
            // grew with the ledger. Entries of equal key are in rowid order, which is the order lines were
            // recorded: a read in that order needs no sort.
            try db.execute(sql: "CREATE INDEX lines_waiting ON lines(store, kind, state, intent_id)")
        }
        return migrator
    }
}
