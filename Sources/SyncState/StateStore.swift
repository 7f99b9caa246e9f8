import Foundation
import GRDB
import ShopifySyncCore

/// The daemon's durable state in SQLite (WAL): the ledger of applied lines, open work, the intent log,
/// the SKU cache, file events and store health.
///
/// Every method is one transaction. A line is `applied` at most once: a line only becomes applied together
/// with the deletion of the intent that carried it.
public final class StateStore: Sendable {
    private let pool: DatabasePool
    /// The database file.
    public let path: String

    /// Opens (creating when missing) the database at `path` and migrates it.
    public init(path: String, readOnly: Bool = false) throws {
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        configuration.readonly = readOnly
        configuration.label = "shopify-sync-state"
        if !readOnly {
            let folder = (path as NSString).deletingLastPathComponent
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        }
        pool = try DatabasePool(path: path, configuration: configuration)
        self.path = path
        if !readOnly {
            // Every commit reaches the disk (the WAL is fsynced) before the call it precedes is made or a file is
            // moved on. GRDB turns WAL on with `synchronous = NORMAL` after `prepareDatabase` has run, so this
            // is set on the one writer connection once it exists.
            try pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
            try Self.migrator.migrate(pool)
        }
    }

    /// The writer connection's `PRAGMA synchronous` (2 is FULL).
    public func writerSynchronousMode() throws -> Int {
        try pool.writeWithoutTransaction { db in try Int.fetchOne(db, sql: "PRAGMA synchronous") ?? -1 }
    }

    // MARK: - Requests

    /// Records a request file that names `id`, planning its lines only when the id is new.
    ///
    /// Same id and same content: applied once (``Registration/duplicate(existingFile:)``), resumed, or requeued;
    /// same id and other content: ``Registration/conflict(existingFile:)``.
    public func register(
        id: String,
        contentHash: String,
        kind: String,
        file: String,
        info: String?,
        now: Double,
        idempotencyWindow: Double = 23 * 3_600,
        plan: @Sendable () -> [LineRecord]
    ) throws -> Registration {
        try pool.write { db in
            if let row = try Row.fetchOne(
                db,
                sql: "SELECT content_hash, spool_file, status FROM requests WHERE id = ?",
                arguments: [id]
            ) {
                let hash: String = row["content_hash"]
                let existingFile: String = row["spool_file"]
                let status = try Self.value(RequestStatus.self, row, "requests", "status")
                guard hash == contentHash else { return .conflict(existingFile: existingFile) }
                switch status {
                case .done:
                    return .duplicate(existingFile: existingFile)
                case .active:
                    return existingFile == file ? .resumed : .duplicate(existingFile: existingFile)
                case .failed:
                    try Self.reopenFailedLines(db, requestID: id, now: now, idempotencyWindow: idempotencyWindow)
                    try db.execute(
                        sql: """
                            UPDATE requests SET status = 'active', spool_file = ?, attempts = attempts + 1,
                                outcome = NULL, reason = NULL, message = NULL, finished_at = NULL,
                                resend_unknown = 0
                            WHERE id = ?
                            """,
                        arguments: [file, id]
                    )
                    return .requeued
                }
            }
            try db.execute(
                sql: """
                    INSERT INTO requests (id, content_hash, kind, spool_file, status, info, received_at)
                    VALUES (?, ?, ?, ?, 'active', ?, ?)
                    """,
                arguments: [id, contentHash, kind, file, info, now]
            )
            let statement = try db.makeStatement(
                sql: """
                    INSERT INTO lines (request_id, line, store, sku, kind, state, reason, inventory_item, location,
                        shopify_reason, delta, quantity, at, pair_quantity)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """
            )
            for line in plan() {
                try statement.execute(arguments: [
                    id, line.ref.line, line.ref.store, line.sku, line.kind.rawValue, line.state.rawValue,
                    line.reason?.rawValue,
                    line.inventoryItem, line.location, line.shopifyReason, line.delta, line.quantity, line.at ?? now,
                    line.pairQuantity,
                ])
            }
            return .new
        }
    }

    /// Reopens a requeued request's failed lines, never resending a call that may have been applied under a
    /// new key.
    ///
    /// Lines Shopify provably did not apply go again under a new key. Lines whose outcome is unknown keep their
    /// call: within its idempotency window it is resent unchanged, with its key; past it an adjust call is not
    /// sent again (`outcome_unknown_expired`) unless the operator asked for it (`requeue --resend-unknown`),
    /// and a set call is planned anew (it compares against a fresh read, so it cannot apply twice).
    private static func reopenFailedLines(
        _ db: Database,
        requestID: String,
        now: Double,
        idempotencyWindow: Double
    ) throws {
        let unknown = [FailureCode.outcomeUnknown.rawValue, FailureCode.outcomeUnknownExpired.rawValue]
        try db.execute(
            sql: """
                UPDATE lines SET state = 'pending', reason = NULL, error_code = NULL, error = NULL,
                    generation = generation + 1, rereads = 0, first_attempt_at = NULL, intent_id = NULL
                WHERE request_id = ? AND state = 'failed' AND (error_code IS NULL OR error_code NOT IN (?, ?))
                """,
            arguments: [requestID, unknown[0], unknown[1]]
        )
        let resend =
            try Bool.fetchOne(db, sql: "SELECT resend_unknown FROM requests WHERE id = ?", arguments: [requestID])
            ?? false
        let intentIDs = try Int64.fetchAll(
            db,
            sql: """
                SELECT DISTINCT intent_id FROM lines
                WHERE request_id = ? AND state = 'failed' AND error_code IN (?, ?) AND intent_id IS NOT NULL
                """,
            arguments: [requestID, unknown[0], unknown[1]]
        )
        for intentID in intentIDs {
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM intents WHERE id = ?", arguments: [intentID])
            else {
                continue
            }
            let intent = try Self.intent(row)
            let withinWindow = now - intent.createdAt < idempotencyWindow
            if intent.kind == .adjust && withinWindow {
                // The same call, the same key: Shopify applies it at most once.
                try db.execute(
                    sql: """
                        UPDATE lines SET state = 'pending', error_code = NULL, error = NULL
                        WHERE intent_id = ? AND state = 'failed'
                        """,
                    arguments: [intentID]
                )
                try db.execute(sql: "UPDATE intents SET held = 0 WHERE id = ?", arguments: [intentID])
            } else if intent.kind == .set || resend {
                try db.execute(
                    sql: """
                        UPDATE lines SET state = 'pending', error_code = NULL, error = NULL, generation = generation + 1,
                            rereads = 0, intent_id = NULL
                        WHERE intent_id = ? AND state = 'failed'
                        """,
                    arguments: [intentID]
                )
                try db.execute(sql: "DELETE FROM intents WHERE id = ?", arguments: [intentID])
            } else {
                try db.execute(
                    sql: """
                        UPDATE lines SET error_code = ?, error = ?
                        WHERE request_id = ? AND intent_id = ? AND state = 'failed'
                        """,
                    arguments: [
                        FailureCode.outcomeUnknownExpired.rawValue,
                        "call \(intent.idempotencyKey) may have been applied and is past its idempotency window; "
                            + "not sent again: check these items with drift, then bulk sync them, or requeue "
                            + "--resend-unknown to send it again under a new key",
                        requestID, intentID,
                    ]
                )
            }
        }
    }

    public func request(id: String) throws -> RequestRecord? {
        try pool.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM requests WHERE id = ?", arguments: [id]).map {
                try Self.request($0)
            }
        }
    }

    /// The spool files of every request not yet finished, in the order the ledger recorded them.
    public func activeRequestFiles() throws -> [String] {
        try pool.read { db in
            try String.fetchAll(
                db,
                sql: "SELECT spool_file FROM requests WHERE status = 'active' ORDER BY received_at, rowid"
            )
        }
    }

    /// Active requests none of whose lines is still open: ready to be finished.
    public func completableRequests() throws -> [RequestRecord] {
        try pool.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT * FROM requests r WHERE r.status = 'active' AND NOT EXISTS (
                        SELECT 1 FROM lines l WHERE l.request_id = r.id AND l.state IN ('pending', 'lookup'))
                    ORDER BY r.received_at
                    """
            ).map { try Self.request($0) }
        }
    }

    /// Records a request's outcome; called before its file is moved to done/ or failed/.
    public func finishRequest(
        id: String,
        status: RequestStatus,
        outcome: String,
        reason: String?,
        message: String?,
        now: Double
    ) throws {
        try finishRequests(
            [RequestOutcome(id: id, status: status, outcome: outcome, reason: reason, message: message)],
            now: now
        )
    }

    /// Records several requests' outcomes in one transaction (one commit to disk for the batch).
    public func finishRequests(_ outcomes: [RequestOutcome], now: Double) throws {
        guard !outcomes.isEmpty else { return }
        try pool.write { db in
            let statement = try db.makeStatement(
                sql: """
                    UPDATE requests SET status = ?, outcome = ?, reason = ?, message = ?, finished_at = ?
                    WHERE id = ?
                    """
            )
            for item in outcomes {
                try statement.execute(arguments: [
                    item.status.rawValue, item.outcome, item.reason, item.message, now, item.id,
                ])
            }
        }
    }

    /// Every line of a request, in line then store order.
    public func lines(requestID: String) throws -> [LineRecord] {
        try pool.read { db in
            try Row.fetchAll(
                db,
                sql: "SELECT * FROM lines WHERE request_id = ? ORDER BY line, store",
                arguments: [requestID]
            ).map { try Self.line($0) }
        }
    }

    /// Removes requests finished as done before `cutoff`, with their lines, in one transaction; returns how many.
    ///
    /// Failed requests stay (a requeue needs their applied lines, so nothing is applied twice), and so does
    /// any request a held call still carries.
    public func removeFinished(before cutoff: Double) throws -> Int {
        try pool.write { db in
            try db.execute(
                sql: """
                    DELETE FROM requests WHERE status = 'done' AND finished_at < ? AND NOT EXISTS (
                        SELECT 1 FROM lines l WHERE l.request_id = requests.id AND l.intent_id IS NOT NULL)
                    """,
                arguments: [cutoff]
            )
            return db.changesCount
        }
    }

    // MARK: - Open work

    /// Open lines of one store and kind that no intent carries yet, oldest request first.
    public func openLines(store: String, kind: LineKind, state: LineState, limit: Int) throws -> [LineRecord] {
        try pool.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT l.* FROM lines l JOIN requests r ON r.id = l.request_id
                    WHERE l.store = ? AND l.kind = ? AND l.state = ? AND l.intent_id IS NULL AND r.status = 'active'
                    ORDER BY r.received_at, l.request_id, l.line LIMIT ?
                    """,
                arguments: [store, kind.rawValue, state.rawValue, limit]
            ).map { try Self.line($0) }
        }
    }

    /// Settled lines counted by store, state (applied, skipped, failed) and reason: the skip reason, or the
    /// failure's error code; empty for applied lines.
    public func settledLineCounts() throws -> [(store: String, state: String, reason: String, count: Int)] {
        try pool.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT store, state,
                           COALESCE(CASE state WHEN 'failed' THEN error_code WHEN 'skipped' THEN reason END, '') AS why,
                           COUNT(*) AS n
                    FROM lines WHERE state IN ('applied', 'skipped', 'failed') GROUP BY store, state, why
                    """
            ).map { (store: $0["store"], state: $0["state"], reason: $0["why"], count: $0["n"]) }
        }
    }

    /// Open lines of every store, counted by store.
    public func openLineCounts() throws -> [String: Int] {
        try pool.read { db in
            var counts: [String: Int] = [:]
            for row in try Row.fetchAll(
                db,
                sql: "SELECT store, COUNT(*) AS n FROM lines WHERE state IN ('pending', 'lookup') GROUP BY store"
            ) {
                counts[row["store"]] = row["n"]
            }
            return counts
        }
    }

    // MARK: - The snapshot rule

    /// What the ledger knows of each item at `location` in `store` for a snapshot taken at `asOf[item]`.
    ///
    /// See ``SnapshotRule``: the applied deltas after `as_of` go on top of the snapshot, and a newer written
    /// snapshot supersedes it. One read transaction for every item.
    public func snapshotHistory(
        store: String,
        location: String,
        asOf: [String: Double]
    ) throws -> [String: SnapshotRule.History] {
        try pool.read { db in
            let deltas = try db.makeStatement(
                sql: """
                    SELECT COALESCE(SUM(delta), 0) FROM lines
                    WHERE store = ? AND inventory_item = ? AND location = ? AND kind = 'adjust' AND state = 'applied'
                        AND at > ?
                    """
            )
            let written = try db.makeStatement(
                sql: """
                    SELECT MAX(at) FROM lines
                    WHERE store = ? AND inventory_item = ? AND location = ? AND kind = 'set'
                        AND (state = 'applied' OR (state = 'skipped' AND reason = 'equal'))
                    """
            )
            var history: [String: SnapshotRule.History] = [:]
            for (item, instant) in asOf {
                history[item] = SnapshotRule.History(
                    appliedDeltasAfterAsOf: try Int.fetchOne(deltas, arguments: [store, item, location, instant]) ?? 0,
                    newestWrittenAsOf: try Double.fetchOne(written, arguments: [store, item, location])
                )
            }
            return history
        }
    }

    /// Skips (`in_snapshot`) every open delta of `store` that a written snapshot already counts, and returns them.
    ///
    /// A delta whose instant is at or before the `as_of` of a snapshot written for its item and location was in
    /// that snapshot; sending it would count it twice. One transaction.
    public func skipDeltasInSnapshot(store: String) throws -> [LineRecord] {
        try pool.write { db in
            let lines = try Row.fetchAll(
                db,
                sql: """
                    SELECT l.* FROM lines l JOIN requests r ON r.id = l.request_id
                    WHERE l.store = ? AND l.kind = 'adjust' AND l.state = 'pending' AND l.intent_id IS NULL
                        AND r.status = 'active' AND EXISTS (
                            SELECT 1 FROM lines s
                            WHERE s.store = l.store AND s.inventory_item = l.inventory_item
                                AND s.location = l.location AND s.kind = 'set' AND s.at >= l.at
                                AND (s.state = 'applied' OR (s.state = 'skipped' AND s.reason = 'equal')))
                    """,
                arguments: [store]
            ).map { try Self.line($0) }
            let statement = try db.makeStatement(
                sql: "UPDATE lines SET state = 'skipped', reason = ? WHERE request_id = ? AND line = ? AND store = ?"
            )
            for line in lines {
                try statement.execute(arguments: [
                    LineReason.inSnapshot.rawValue, line.ref.requestID, line.ref.line, line.ref.store,
                ])
            }
            return lines
        }
    }

    // MARK: - Intents

    /// Writes a call down before it is sent: its payload, key and member lines, in one transaction.
    public func createIntent(
        store: String,
        kind: LineKind,
        idempotencyKey: String,
        payload: [UInt8],
        body: [UInt8]? = nil,
        format: Int? = nil,
        members: [LineRef],
        now: Double
    ) throws -> StoredIntent {
        let format = format ?? (body == nil ? 1 : 2)
        return try pool.write { db in
            try db.execute(
                sql: """
                    INSERT INTO intents (store, kind, idempotency_key, payload, body, format, created_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [store, kind.rawValue, idempotencyKey, Data(payload), body.map { Data($0) }, format, now]
            )
            let id = db.lastInsertedRowID
            let statement = try db.makeStatement(
                sql: """
                    UPDATE lines SET intent_id = ?, first_attempt_at = COALESCE(first_attempt_at, ?)
                    WHERE request_id = ? AND line = ? AND store = ?
                    """
            )
            for member in members {
                try statement.execute(arguments: [id, now, member.requestID, member.line, member.store])
            }
            var intent = StoredIntent(
                id: id,
                store: store,
                kind: kind,
                idempotencyKey: idempotencyKey,
                payload: payload,
                attempts: 0,
                createdAt: now,
                lastError: nil
            )
            intent.format = format
            intent.body = body
            return intent
        }
    }

    /// Intents of a store not yet settled (after a crash: to be resent unchanged), oldest first.
    public func intents(store: String) throws -> [StoredIntent] {
        try pool.read { db in
            try Row.fetchAll(
                db,
                sql: "SELECT * FROM intents WHERE store = ? AND held = 0 ORDER BY id",
                arguments: [store]
            ).map { try Self.intent($0) }
        }
    }

    /// One intent, held or not.
    public func intent(id: Int64) throws -> StoredIntent? {
        try pool.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM intents WHERE id = ?", arguments: [id]).map { try Self.intent($0) }
        }
    }

    private static func intent(_ row: Row) throws -> StoredIntent {
        let payload: Data = row["payload"]
        var intent = StoredIntent(
            id: row["id"],
            store: row["store"],
            kind: try value(LineKind.self, row, "intents", "kind"),
            idempotencyKey: row["idempotency_key"],
            payload: [UInt8](payload),
            attempts: row["attempts"],
            createdAt: row["created_at"],
            lastError: row["last_error"]
        )
        intent.format = row["format"]
        intent.held = (row["held"] as Int) != 0
        intent.body = (row["body"] as Data?).map { [UInt8]($0) }
        return intent
    }

    /// The lines an intent carries.
    public func members(intentID: Int64) throws -> [LineRecord] {
        try pool.read { db in
            try Row.fetchAll(
                db,
                sql: "SELECT * FROM lines WHERE intent_id = ? ORDER BY request_id, line",
                arguments: [intentID]
            ).map { try Self.line($0) }
        }
    }

    /// Counts a failed attempt of an intent.
    public func recordAttempt(intentID: Int64, error: String) throws {
        try pool.write { db in
            try db.execute(
                sql: "UPDATE intents SET attempts = attempts + 1, last_error = ? WHERE id = ?",
                arguments: [error, intentID]
            )
        }
    }

    /// Applies line updates and, when `settling` is given, deletes that intent and frees its other members.
    ///
    /// One transaction: after a crash either every update and the deletion happened, or none.
    ///
    /// `holding` instead keeps that intent, marked held, with its members still pointing at it: its outcome is
    /// unknown, and only a requeue within its idempotency window sends it again, with the same key.
    public func update(_ updates: [LineUpdate], settling intentID: Int64? = nil, holding heldID: Int64? = nil) throws {
        try pool.write { db in
            let statement = try db.makeStatement(
                sql: """
                    UPDATE lines SET state = ?, reason = COALESCE(?, reason), error_code = ?, error = ?,
                        inventory_item = COALESCE(?, inventory_item), before = COALESCE(?, before),
                        after = COALESCE(?, after), rereads = rereads + ?, generation = generation + ?,
                        intent_id = CASE WHEN intent_id = ? THEN intent_id ELSE NULL END
                    WHERE request_id = ? AND line = ? AND store = ?
                    """
            )
            for update in updates {
                try statement.execute(arguments: [
                    update.state.rawValue, update.reason?.rawValue, update.errorCode, update.error,
                    update.inventoryItem,
                    update.before, update.after, update.countReread ? 1 : 0, update.newGeneration ? 1 : 0, heldID,
                    update.ref.requestID, update.ref.line, update.ref.store,
                ])
            }
            if let intentID {
                try db.execute(sql: "UPDATE lines SET intent_id = NULL WHERE intent_id = ?", arguments: [intentID])
                try db.execute(sql: "DELETE FROM intents WHERE id = ?", arguments: [intentID])
            }
            if let heldID {
                try db.execute(sql: "UPDATE intents SET held = 1 WHERE id = ?", arguments: [heldID])
            }
        }
    }

    /// Marks a failed request's file for `requeue --resend-unknown`: past the idempotency window, its
    /// unknown-outcome lines are sent again under a new key instead of failing as `outcome_unknown_expired`.
    public func allowResendUnknown(file: String) throws {
        try pool.write { db in
            try db.execute(
                sql: "UPDATE requests SET resend_unknown = 1 WHERE spool_file = ? AND status = 'failed'",
                arguments: [file]
            )
        }
    }

    // MARK: - SKU cache

    public func cachedSKU(store: String, sku: String) throws -> SKUCacheEntry? {
        try pool.read { db in
            try Row.fetchOne(
                db,
                sql: "SELECT * FROM sku_cache WHERE store = ? AND sku = ?",
                arguments: [store, sku]
            ).map { row in
                SKUCacheEntry(
                    inventoryItem: row["inventory_item"],
                    status: SKUCacheEntry.Status(rawValue: row["status"]) ?? .missing,
                    checkedAt: row["checked_at"],
                    loggedAt: row["logged_at"]
                )
            }
        }
    }

    public func cacheSKU(
        store: String,
        sku: String,
        inventoryItem: String?,
        status: SKUCacheEntry.Status,
        now: Double
    ) throws {
        try pool.write { db in
            try db.execute(
                sql: """
                    INSERT INTO sku_cache (store, sku, inventory_item, status, checked_at) VALUES (?, ?, ?, ?, ?)
                    ON CONFLICT (store, sku) DO UPDATE SET inventory_item = excluded.inventory_item,
                        status = excluded.status, checked_at = excluded.checked_at
                    """,
                arguments: [store, sku, inventoryItem, status.rawValue, now]
            )
        }
    }

    /// Records that a miss was logged, so it is logged once per SKU per hour; returns whether to log now.
    public func shouldLogSKUMiss(store: String, sku: String, now: Double, interval: Double = 3600) throws -> Bool {
        try pool.write { db in
            let last = try Double.fetchOne(
                db,
                sql: "SELECT logged_at FROM sku_cache WHERE store = ? AND sku = ?",
                arguments: [store, sku]
            )
            if let last, now - last < interval { return false }
            try db.execute(
                sql: "UPDATE sku_cache SET logged_at = ? WHERE store = ? AND sku = ?",
                arguments: [now, store, sku]
            )
            return true
        }
    }

    // MARK: - Files and stores

    public func recordFileEvent(_ event: FileEvent) throws {
        try pool.write { db in
            try db.execute(
                sql: "INSERT INTO file_events (name, folder, outcome, reason, message, at) VALUES (?, ?, ?, ?, ?, ?)",
                arguments: [event.name, event.folder, event.outcome, event.reason, event.message, event.at]
            )
            try db.execute(sql: "DELETE FROM file_events WHERE id <= (SELECT MAX(id) - 10000 FROM file_events)")
        }
    }

    /// The newest file events that went to failed/, newest first.
    public func recentFailures(limit: Int) throws -> [FileEvent] {
        try pool.read { db in
            try Row.fetchAll(
                db,
                sql: "SELECT * FROM file_events WHERE folder = 'failed' ORDER BY id DESC LIMIT ?",
                arguments: [limit]
            ).map { row in
                FileEvent(
                    name: row["name"],
                    folder: row["folder"],
                    outcome: row["outcome"],
                    reason: row["reason"],
                    message: row["message"],
                    at: row["at"]
                )
            }
        }
    }

    /// Records a store's health (its name and reason), and when `success`, the time of its last success.
    public func setStoreState(
        store: String,
        state: StoreHealth.Name,
        reason: String?,
        success: Bool = false,
        error: String? = nil,
        now: Double
    ) throws {
        try pool.write { db in
            try db.execute(
                sql: """
                    INSERT INTO store_state (store, state, reason, last_success, last_error, updated_at)
                    VALUES (?, ?, ?, ?, ?, ?)
                    ON CONFLICT (store) DO UPDATE SET state = excluded.state, reason = excluded.reason,
                        last_success = COALESCE(excluded.last_success, last_success),
                        last_error = COALESCE(excluded.last_error, last_error), updated_at = excluded.updated_at
                    """,
                arguments: [store, state.rawValue, reason, success ? now : nil, error, now]
            )
        }
    }

    public func storeStates() throws -> [String: StoreStateRecord] {
        try pool.read { db in
            var states: [String: StoreStateRecord] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT * FROM store_state") {
                let record = StoreStateRecord(
                    store: row["store"],
                    state: try Self.value(StoreHealth.Name.self, row, "store_state", "state"),
                    reason: row["reason"],
                    lastSuccess: row["last_success"],
                    lastError: row["last_error"],
                    updatedAt: row["updated_at"]
                )
                states[record.store] = record
            }
            return states
        }
    }

    // MARK: - Rows

    /// A stored enum value, or ``LedgerCorruption`` when this version does not know it.
    private static func value<T: RawRepresentable>(
        _ type: T.Type,
        _ row: Row,
        _ table: String,
        _ column: String
    ) throws -> T where T.RawValue == String {
        let raw: String = row[column] ?? ""
        guard let value = T(rawValue: raw) else {
            throw LedgerCorruption(table: table, column: column, value: raw)
        }
        return value
    }

    /// A stored enum value that may be NULL; a value this version does not know is ``LedgerCorruption``.
    private static func optionalValue<T: RawRepresentable>(
        _ type: T.Type,
        _ row: Row,
        _ table: String,
        _ column: String
    ) throws -> T? where T.RawValue == String {
        guard let raw: String = row[column] else { return nil }
        guard let value = T(rawValue: raw) else { throw LedgerCorruption(table: table, column: column, value: raw) }
        return value
    }

    private static func request(_ row: Row) throws -> RequestRecord {
        RequestRecord(
            id: row["id"],
            contentHash: row["content_hash"],
            kind: row["kind"],
            spoolFile: row["spool_file"],
            status: try value(RequestStatus.self, row, "requests", "status"),
            outcome: row["outcome"],
            reason: row["reason"],
            message: row["message"],
            info: row["info"],
            attempts: row["attempts"],
            receivedAt: row["received_at"],
            finishedAt: row["finished_at"]
        )
    }

    private static func line(_ row: Row) throws -> LineRecord {
        var record = LineRecord(
            ref: LineRef(requestID: row["request_id"], line: row["line"], store: row["store"]),
            sku: row["sku"],
            kind: try value(LineKind.self, row, "lines", "kind"),
            state: try value(LineState.self, row, "lines", "state"),
            reason: try optionalValue(LineReason.self, row, "lines", "reason"),
            inventoryItem: row["inventory_item"],
            location: row["location"],
            shopifyReason: row["shopify_reason"],
            delta: row["delta"],
            quantity: row["quantity"]
        )
        record.errorCode = row["error_code"]
        record.error = row["error"]
        record.before = row["before"]
        record.after = row["after"]
        record.generation = row["generation"]
        record.rereads = row["rereads"]
        record.intentID = row["intent_id"]
        record.firstAttemptAt = row["first_attempt_at"]
        record.at = row["at"]
        record.pairQuantity = row["pair_quantity"]
        return record
    }
}
