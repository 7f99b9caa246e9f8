import Foundation
import GRDB
import ShopifySyncCore

/// The SKU cache, file events and store health.
extension StateStore {
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
}
