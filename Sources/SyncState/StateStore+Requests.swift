import Foundation
import GRDB
import ShopifySyncCore

/// Requests: registration (new, duplicate, conflict, requeue), outcomes and retention.
extension StateStore {
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
        plan: @escaping @Sendable () -> [LineRecord]
    ) throws -> Registration {
        let request = NewRequest(id: id, contentHash: contentHash, kind: kind, file: file, info: info, lines: plan)
        return try registerAll([request], now: now, idempotencyWindow: idempotencyWindow)[0]
    }

    /// Records a batch of request files in one transaction (one commit, one WAL sync), in order; each gets the
    /// registration ``register(id:contentHash:kind:file:info:now:idempotencyWindow:plan:)`` would give it, the
    /// ones before it in the batch included.
    public func registerAll(_ requests: [NewRequest], now: Double, idempotencyWindow: Double) throws -> [Registration] {
        guard !requests.isEmpty else { return [] }
        return try pool.write { db in
            let insertLine = try db.makeStatement(
                sql: """
                    INSERT INTO lines (request_id, line, store, sku, kind, state, reason, inventory_item, location,
                        shopify_reason, delta, quantity, at, pair_quantity)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """
            )
            return try requests.map { request in
                try Self.register(request, db, insertLine: insertLine, now: now, idempotencyWindow: idempotencyWindow)
            }
        }
    }

    private static func register(
        _ request: NewRequest,
        _ db: Database,
        insertLine: Statement,
        now: Double,
        idempotencyWindow: Double
    ) throws -> Registration {
        if let row = try Row.fetchOne(
            db,
            sql: "SELECT content_hash, spool_file, status FROM requests WHERE id = ?",
            arguments: [request.id]
        ) {
            let hash: String = row["content_hash"]
            let existingFile: String = row["spool_file"]
            let status = try Self.value(RequestStatus.self, row, "requests", "status")
            guard hash == request.contentHash else { return .conflict(existingFile: existingFile) }
            switch status {
            case .done:
                return .duplicate(existingFile: existingFile)
            case .active:
                return existingFile == request.file ? .resumed : .duplicate(existingFile: existingFile)
            case .failed:
                try Self.reopenFailedLines(db, requestID: request.id, now: now, idempotencyWindow: idempotencyWindow)
                try db.execute(
                    sql: """
                        UPDATE requests SET status = 'active', spool_file = ?, attempts = attempts + 1,
                            outcome = NULL, reason = NULL, message = NULL, finished_at = NULL,
                            resend_unknown = 0
                        WHERE id = ?
                        """,
                    arguments: [request.file, request.id]
                )
                return .requeued
            }
        }
        try db.execute(
            sql: """
                INSERT INTO requests (id, content_hash, kind, spool_file, status, info, received_at)
                VALUES (?, ?, ?, ?, 'active', ?, ?)
                """,
            arguments: [request.id, request.contentHash, request.kind, request.file, request.info, now]
        )
        for line in request.lines() {
            try insertLine.execute(arguments: [
                request.id, line.ref.line, line.ref.store, line.sku, line.kind.rawValue, line.state.rawValue,
                line.reason?.rawValue,
                line.inventoryItem, line.location, line.shopifyReason, line.delta, line.quantity, line.at ?? now,
                line.pairQuantity,
            ])
        }
        return .new
    }

    /// Reopens a requeued request's failed lines, never resending a call that may have been applied under a
    /// new key.
    ///
    /// Lines Shopify provably did not apply go again under a new key. Lines whose outcome is unknown keep their
    /// call: within its idempotency window it is resent unchanged, with its key; past it an adjust call is not
    /// sent again (`outcome_unknown_expired`) unless the operator asked for it (`requeue --resend-unknown`),
    /// and a set call is planned anew (it compares against a fresh read, so it cannot apply twice).
    static func reopenFailedLines(
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
                    UPDATE requests SET status = ?, outcome = ?, reason = ?, message = ?, finished_at = ?,
                        report_unsynced = 1
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

    /// Finished requests whose reports may not be on disk yet (``finishRequests(_:now:)`` marks them, until
    /// ``markReportsSynced(except:)``), oldest first.
    public func unsyncedReports() throws -> [RequestRecord] {
        try pool.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT * FROM requests WHERE report_unsynced = 1 AND status != 'active'
                    ORDER BY finished_at, rowid
                    """
            ).map { try Self.request($0) }
        }
    }

    /// Records that every report written so far is on disk, but those of `except` (their files have not moved
    /// yet); returns how many it cleared.
    @discardableResult
    public func markReportsSynced(except: Set<String> = []) throws -> Int {
        try pool.write { db in
            try db.execute(sql: "UPDATE requests SET report_unsynced = 0 WHERE report_unsynced = 1")
            var cleared = db.changesCount
            // The kept ones are marked again, 500 ids a statement (however many files a disk fault holds back).
            let kept = Array(except)
            for start in stride(from: 0, to: kept.count, by: 500) {
                let ids = Array(kept[start..<min(start + 500, kept.count)])
                try db.execute(
                    sql: """
                        UPDATE requests SET report_unsynced = 1
                        WHERE id IN (\(databaseQuestionMarks(count: ids.count))) AND status != 'active'
                        """,
                    arguments: StatementArguments(ids)
                )
                cleared -= db.changesCount
            }
            return cleared
        }
    }

    /// Every line of each request, in line then store order, in one read.
    public func lines(requestIDs: [String]) throws -> [String: [LineRecord]] {
        guard !requestIDs.isEmpty else { return [:] }
        return try pool.read { db in
            var result: [String: [LineRecord]] = [:]
            for start in stride(from: 0, to: requestIDs.count, by: 500) {
                let ids = Array(requestIDs[start..<min(start + 500, requestIDs.count)])
                let lines = try Self.fetchLines(
                    db,
                    sql: """
                        SELECT * FROM lines WHERE request_id IN (\(databaseQuestionMarks(count: ids.count)))
                        ORDER BY request_id, line, store
                        """,
                    arguments: StatementArguments(ids)
                )
                for line in lines { result[line.ref.requestID, default: []].append(line) }
            }
            return result
        }
    }

    /// Every line of a request, in line then store order.
    public func lines(requestID: String) throws -> [LineRecord] {
        try lines(requestIDs: [requestID])[requestID] ?? []
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
}
