import Foundation
import GRDB
import ShopifySyncCore

/// The intent log: calls written down before they are sent, settled or held in one transaction.
extension StateStore {
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
                    INSERT INTO intents (store, kind, idempotency_key, payload, body, format, created_at, may_have_sent)
                    VALUES (?, ?, ?, ?, ?, ?, ?, 0)
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

    static func intent(_ row: Row) throws -> StoredIntent {
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
        intent.mayHaveSent = (row["may_have_sent"] as Int) != 0
        return intent
    }

    /// The lines an intent carries.
    public func members(intentID: Int64) throws -> [LineRecord] {
        try pool.read { db in
            try Self.fetchLines(
                db,
                sql: "SELECT * FROM lines WHERE intent_id = ? ORDER BY request_id, line",
                arguments: [intentID]
            )
        }
    }

    /// Counts a failed attempt of an intent.
    ///
    /// `mayHaveSent` false says the attempt provably never reached Shopify; once any attempt may have, the
    /// intent stays marked, and giving up on it ends its lines as `outcome_unknown`.
    public func recordAttempt(intentID: Int64, error: String, mayHaveSent: Bool = true) throws {
        try pool.write { db in
            try db.execute(
                sql: """
                    UPDATE intents SET attempts = attempts + 1, last_error = ?, may_have_sent = may_have_sent OR ?
                    WHERE id = ?
                    """,
                arguments: [error, mayHaveSent, intentID]
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
}
