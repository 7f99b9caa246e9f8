import Foundation
import GRDB
import ShopifySyncCore

/// Open work and the snapshot rule's view of the ledger.
extension StateStore {
    /// Open lines of one store and kind that no intent carries yet, in the order they were recorded (oldest
    /// request first; a batch of requests recorded at once in the order of their files).
    public func openLines(store: String, kind: LineKind, state: LineState, limit: Int) throws -> [LineRecord] {
        try pool.read { db in
            try Self.fetchLines(db, sql: Self.openLinesSQL, arguments: [store, kind.rawValue, state.rawValue, limit])
        }
    }

    /// Reads through lines_waiting, in rowid order: no finished line is visited and nothing is sorted.
    static let openLinesSQL = """
        SELECT l.* FROM lines l JOIN requests r ON r.id = l.request_id
        WHERE l.store = ? AND l.kind = ? AND l.state = ? AND l.intent_id IS NULL AND r.status = 'active'
        ORDER BY l.rowid LIMIT ?
        """

    /// The open deltas of a store that a written snapshot counts (see ``skipDeltasInSnapshot(store:)``).
    static let deltasInSnapshotSQL = """
        SELECT l.* FROM lines l JOIN requests r ON r.id = l.request_id
        WHERE l.store = ? AND l.kind = 'adjust' AND l.state = 'pending' AND l.intent_id IS NULL
            AND r.status = 'active' AND EXISTS (
                SELECT 1 FROM lines s
                WHERE s.store = l.store AND s.inventory_item = l.inventory_item
                    AND s.location = l.location AND s.kind = 'set' AND s.at >= l.at
                    AND (s.state = 'applied' OR (s.state = 'skipped' AND s.reason = 'equal')))
        """

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
        // A read first: this runs before every delta call, and almost always finds nothing to skip, so the
        // writer (and a commit) is only taken when there is.
        let lines = try pool.read { db in
            try Self.fetchLines(db, sql: Self.deltasInSnapshotSQL, arguments: [store])
        }
        guard !lines.isEmpty else { return [] }
        return try pool.write { db in
            let statement = try db.makeStatement(
                sql: """
                    UPDATE lines SET state = 'skipped', reason = ?
                    WHERE request_id = ? AND line = ? AND store = ? AND state = 'pending' AND intent_id IS NULL
                    """
            )
            var skipped: [LineRecord] = []
            for line in lines {
                try statement.execute(arguments: [
                    LineReason.inSnapshot.rawValue, line.ref.requestID, line.ref.line, line.ref.store,
                ])
                if db.changesCount > 0 { skipped.append(line) }
            }
            return skipped
        }
    }
}
