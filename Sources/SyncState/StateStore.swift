import Foundation
import GRDB
import ShopifySyncCore

/// The daemon's durable state in SQLite (WAL): the ledger of applied lines, open work, the intent log,
/// the SKU cache, file events and store health.
///
/// Every method is one transaction. A line is `applied` at most once: a line only becomes applied together
/// with the deletion of the intent that carried it.
public final class StateStore: Sendable {
    let pool: DatabasePool
    /// The database file.
    public let path: String

    /// Opens (creating when missing) the database at `path` and migrates it.
    public init(path: String, readOnly: Bool = false) throws {
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        configuration.readonly = readOnly
        configuration.label = "shopify-sync-state"
        let parent = (path as NSString).deletingLastPathComponent
        let folder = parent.isEmpty ? "." : parent
        if !readOnly {
            try DurableFolder.create(folder)
        }
        pool = try DatabasePool(path: path, configuration: configuration)
        self.path = path
        if !readOnly {
            // Every commit reaches the disk (the WAL is fsynced) before the call it precedes is made or a file is
            // moved on. GRDB turns WAL on with `synchronous = NORMAL` after `prepareDatabase` has run, so this
            // is set on the one writer connection once it exists.
            try pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
            try Self.migrator.migrate(pool)
            // SQLite syncs the folder when it makes the WAL, not when it makes the database file.
            try DurableFolder.sync(folder)
        }
    }

    /// The writer connection's `PRAGMA synchronous` (2 is FULL).
    public func writerSynchronousMode() throws -> Int {
        try pool.writeWithoutTransaction { db in try Int.fetchOne(db, sql: "PRAGMA synchronous") ?? -1 }
    }

}
